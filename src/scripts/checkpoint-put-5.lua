--[[
  Stores one checkpoint of a thread: its record, the channel values that changed, and the
  thread's TTL. Every key of the thread gets the same deadline.

  KEYS[1]  ids (sorted set of '<ns>:<id>' members)      KEYS[4]  writes (hash)
  KEYS[2]  checkpoints (hash)                           KEYS[5]  write index (sorted set)
  KEYS[3]  blobs (hash)
  ARGV[1]  member '<ns hex>:<checkpoint id hex>'
  ARGV[2]  the checkpoint record
  ARGV[3]  TTL in ms ('0': none)
  ARGV[4]  TTL mode: 'sliding' (every write and read moves it) or 'fixed' (set when the thread starts)
  ARGV[5..] blob field, value, field, value, …

  Returns 1 when this was the thread's first checkpoint (the caller registers the thread), else 0.
]]

--- @include "checkpoint"

local first = redis.call('EXISTS', KEYS[1]) == 0
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if #ARGV >= 5 then redis.call('HSET', KEYS[3], unpack(ARGV, 5)) end
expire_thread(tonumber(ARGV[3]), ARGV[4], first)
if first then return 1 end
return 0
