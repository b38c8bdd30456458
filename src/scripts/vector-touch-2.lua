--[[
  Records that items were recalled: access count + 1 and last-access time, in the scope's access
  stats (sorted sets outside the item hashes, which stay untouched: on RediSearch a write to an
  item hash re-indexes the whole document). Only items whose hash still exists are counted (an
  expired item must not gain stats). Then a small random sample of the stats is checked and the
  entries whose item is gone are removed, so that stats of items nobody deletes explicitly
  (expired, evicted) do not pile up when no scan of the scope runs (each touch removes, on
  average, twice the share of such entries). The first write is a ZINCRBY,
  so Redis refuses the script at maxmemory before it changes anything.

  KEYS[1]  the scope's access counts (sorted set: id → count)
  KEYS[2]  the scope's access times (sorted set: id → ms since the epoch)
  ARGV[1]  the scope's item key prefix ('…:{tag}:i:')
  ARGV[2]  the access time, ms since the epoch
  ARGV[3..] the item ids

  Returns how many items were touched.
]]

local SAMPLE = 2
local touched = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  if redis.call('EXISTS', ARGV[1] .. id) == 1 then
    redis.call('ZINCRBY', KEYS[1], 1, id)
    redis.call('ZADD', KEYS[2], ARGV[2], id)
    touched = touched + 1
  end
end
-- The sample comes from one key or the other, by the access time's parity, so that entries left
-- in either (the other key lost) are reached too.
for _, id in ipairs(redis.call('ZRANDMEMBER', KEYS[1 + tonumber(ARGV[2]) % 2], SAMPLE)) do
  if redis.call('EXISTS', ARGV[1] .. id) == 0 then
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
  end
end
return touched
