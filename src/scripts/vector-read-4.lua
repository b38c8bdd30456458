--[[
  Reads the payload (and, when asked, the access stats) of items that are live under the engine's
  rule (see includes/vector-scope.lua): what get() and accessStats() return. Reads only.

  KEYS[1]  the scope's id set
  KEYS[2]  the scope's vector set (read only when ARGV[2] is '1')
  KEYS[3]  the scope's access counts
  KEYS[4]  the scope's access times
  ARGV[1]  the scope's item key prefix ('…:{tag}:i:')
  ARGV[2]  '1' when the engine keeps a vector set (vectorset), '0' otherwise
  ARGV[3]  '1' to return access stats too
  ARGV[4..] the item ids

  Returns { payload or false, … }, or with stats { payload or false, count or false, last access
  ms or false, … }
]]
--- @include "vector-scope"

local prefix, by_set, with_stats = ARGV[1], ARGV[2] == '1', ARGV[3] == '1'
local out = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local payload = false
  local member
  if by_set then member = redis.call('VISMEMBER', KEYS[2], id) else member = redis.call('SISMEMBER', KEYS[1], id) end
  if member == 1 then payload = redis.call('HGET', prefix .. id, 'p') or false end
  out[#out + 1] = payload
  if with_stats then
    if payload then
      out[#out + 1] = redis.call('ZSCORE', KEYS[3], id) or false
      out[#out + 1] = redis.call('ZSCORE', KEYS[4], id) or false
    else
      out[#out + 1] = false
      out[#out + 1] = false
    end
  end
end
return out
