--[[
  One page of a user's sessions, most recently active first, with each one's metadata. Index
  entries whose session is gone (expired, or missing any of its keys: see includes/session.lua)
  are removed first, so a page holds only whole sessions and `total` counts only them:
  O(sessions of the user).

  KEYS[1]  the user's session index (sorted set: session id -> last activity ms, to within the
           step of includes/session.lua; the member '' marks an index known to be complete, see
           session-index-rebuild-1.lua). The order of a page is meta's `updated`, exact.
  ARGV[1]  the key prefix of the user's sessions, e.g. 'am:{t:u}:s:' (same hash tag as KEYS[1])
  ARGV[2]  offset
  ARGV[3]  limit
  ARGV[4..] optional: the session ids to list instead of the index's (what a SCAN found, when
           the index cannot be rebuilt at maxmemory); read-only then

  Returns { -1 } when the index is missing or not known complete (it was evicted, or never
  rebuilt): the caller rebuilds it and asks again. Else
  { total, { session id, meta (flat hash), message count, remaining TTL ms }, ... }
]]
--- @include "session"

-- A session's keys, in script order (the suffixes of keys.ts SESSION_KEY_SUFFIXES).
local function keys_of(id)
  local s = ARGV[1] .. id
  return { s .. ':msgs', s .. ':meta', s .. ':state', s .. ':tools', s .. ':idem', s .. ':pending' }
end

local given = #ARGV > 3
local ids
if given then
  ids = {}
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  if not redis.call('ZSCORE', KEYS[1], '') then return { -1 } end
  ids = redis.call('ZRANGE', KEYS[1], 0, -1)
end
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
-- Ordered by meta's `updated` (exact), not by the index score (which moves only by a step).
local live = {}
for _, id in ipairs(ids) do
  if id ~= '' then
    local s = load_session(keys_of(id))
    if not s then
      if not given then redis.call('ZREM', KEYS[1], id) end
    else
      live[#live + 1] = { id, s.updated or 0 }
    end
  end
end
table.sort(live, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] > b[1]) end)
local out = { #live }
for i = offset + 1, math.min(offset + limit, #live) do
  local id = live[i][1]
  local meta_key = ARGV[1] .. id .. ':meta'
  out[#out + 1] = { id, redis.call('HGETALL', meta_key), redis.call('LLEN', ARGV[1] .. id .. ':msgs'), redis.call('PTTL', meta_key) }
end
return out
