--[[
  Deletes every item of a scope: each item hash, the id set and the vector set.

  KEYS[1]  the scope's id set
  KEYS[2]  the scope's vector set
  ARGV[1]  the scope's item key prefix ('…:{tag}:i:')

  Returns the number of items deleted.
]]

local ids = redis.call('SMEMBERS', KEYS[1])
local deleted = 0
for _, id in ipairs(ids) do deleted = deleted + redis.call('UNLINK', ARGV[1] .. id) end
redis.call('UNLINK', KEYS[1], KEYS[2])
return deleted
