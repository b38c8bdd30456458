--[[
  One page of a user's sessions, most recently active first, with each one's metadata. Index
  entries whose session is gone (meta expired or evicted) are removed first, so a page holds only
  live sessions and `total` counts only them: O(sessions of the user).

  KEYS[1]  the user's session index (sorted set: session id -> last activity ms; the member ''
           marks an index known to be complete, see session-index-rebuild-1.lua)
  ARGV[1]  the key prefix of the user's sessions, e.g. 'am:{t:u}:s:' (same hash tag as KEYS[1])
  ARGV[2]  offset
  ARGV[3]  limit

  Returns { -1 } when the index is missing or not known complete (it was evicted, or never
  rebuilt): the caller rebuilds it and asks again. Else
  { total, { session id, meta (flat hash), message count, remaining TTL ms }, ... }
]]

if not redis.call('ZSCORE', KEYS[1], '') then return { -1 } end
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local out, live = { 0 }, 0
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, -1)) do
  if id ~= '' then
    local meta_key = ARGV[1] .. id .. ':meta'
    if redis.call('EXISTS', meta_key) == 0 then
      redis.call('ZREM', KEYS[1], id)
    else
      live = live + 1
      if live > offset and live <= offset + limit then
        out[#out + 1] = { id, redis.call('HGETALL', meta_key), redis.call('LLEN', ARGV[1] .. id .. ':msgs'), redis.call('PTTL', meta_key) }
      end
    end
  end
end
out[1] = live
return out
