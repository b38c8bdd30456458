--[[
  Deletes every item of a scope: each item hash the id set lists (on vectorset also those the
  vector set holds, in case the id set was lost), the id set, the vector set and the access stats.
  Frees memory only, so it runs at maxmemory too.

  KEYS[1]  the scope's id set
  KEYS[2]  the scope's vector set (read only when ARGV[2] is '1')
  KEYS[3]  the scope's access counts
  KEYS[4]  the scope's access times
  ARGV[1]  the scope's item key prefix ('…:{tag}:i:')
  ARGV[2]  '1' when the engine keeps a vector set (vectorset), '0' otherwise

  Returns the number of live items deleted (includes/vector-scope.lua says what live means).
]]
--- @include "vector-scope"

local prefix, by_set = ARGV[1], ARGV[2] == '1'
local deleted = 0
local held = {}
if by_set then
  for _, id in ipairs(vector_set_members()) do
    held[id] = true
    deleted = deleted + redis.call('UNLINK', prefix .. id)
  end
end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local gone = redis.call('UNLINK', prefix .. id)
  if not by_set then deleted = deleted + gone end
end
redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return deleted
