--[[
  Deletes an entry and tells the other processes (near caches drop their copies), atomically: a
  copy read after the message cannot be of the deleted value. Works at maxmemory.

  KEYS[1]  the entry
  ARGV[1]  pub/sub channel
  ARGV[2]  message to publish

  Returns 1 when the entry existed, else 0.
]]

local deleted = redis.call('UNLINK', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return deleted
