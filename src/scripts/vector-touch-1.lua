--[[
  Records that items were recalled: access count + 1 and last-access time, on items that still
  exist (an expired item's hash is gone, and must not come back without its TTL).

  KEYS[1]  the scope's id set (its hash tag is the scope's)
  ARGV[1]  the scope's item key prefix ('…:{tag}:i:')
  ARGV[2]  the access time, ms since the epoch
  ARGV[3..] the item ids

  Returns how many items were touched.
]]

local touched = 0
for i = 3, #ARGV do
  local key = ARGV[1] .. ARGV[i]
  if redis.call('EXISTS', key) == 1 then
    redis.call('HINCRBY', key, 'a_n', 1)
    redis.call('HSET', key, 'a_at', ARGV[2])
    touched = touched + 1
  end
end
return touched
