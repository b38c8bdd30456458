--[[
  Deletes items of a scope: each hash, its id (id set, and vector set when ARGV[2] is '1') and its
  access stats. Counts the items that were live under the engine's rule (includes/vector-scope.lua),
  so a hash the membership had already lost is deleted but not counted. Frees memory only, so it
  runs at maxmemory too (no OOM check: UNLINK, SREM, VREM and ZREM are not refused).

  KEYS[1]  the scope's id set
  KEYS[2]  the scope's vector set (touched only when ARGV[2] is '1')
  KEYS[3]  the scope's access counts
  KEYS[4]  the scope's access times
  ARGV[1]  the scope's item key prefix ('…:{tag}:i:')
  ARGV[2]  '1' when the engine keeps a vector set (vectorset), '0' otherwise
  ARGV[3..] the item ids

  Returns the number of live items deleted.
]]
--- @include "vector-scope"

local prefix, by_set = ARGV[1], ARGV[2] == '1'
local deleted = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  if is_live(prefix, by_set, id) then deleted = deleted + 1 end
  redis.call('UNLINK', prefix .. id)
  redis.call('SREM', KEYS[1], id)
  if by_set then redis.call('VREM', KEYS[2], id) end
  forget_stats(id)
end
return deleted
