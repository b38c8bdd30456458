--[[
  One page of a user's sessions, most recently active first, with each one's metadata. Index
  entries whose session has expired are removed on the way.

  KEYS[1]  the user's session index (sorted set: session id -> last activity ms)
  ARGV[1]  the key prefix of the user's sessions, e.g. 'am:{t:u}:s:' (same hash tag as KEYS[1])
  ARGV[2]  offset
  ARGV[3]  limit

  Returns { total, { session id, meta (flat hash), message count, remaining TTL ms }, ... }
]]

local ids = redis.call('ZREVRANGE', KEYS[1], ARGV[2], tonumber(ARGV[2]) + tonumber(ARGV[3]) - 1)
local out = { 0 }
for _, id in ipairs(ids) do
  local meta_key = ARGV[1] .. id .. ':meta'
  local meta = redis.call('HGETALL', meta_key)
  if #meta == 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    out[#out + 1] = { id, meta, redis.call('LLEN', ARGV[1] .. id .. ':msgs'), redis.call('PTTL', meta_key) }
  end
end
out[1] = redis.call('ZCARD', KEYS[1])
return out
