--[[
  Reads documents of one namespace: given ids (optionally moving their expiry, for TTL refresh on
  read), or a page of the documents (or of those without vectors) in creation order.

  KEYS[1..4] see includes/store.lua (documents, plain, expiries, meta)
  ARGV[1]  the namespace's document key prefix
  ARGV[2]  'ids' | 'documents' | 'plain'
  ARGV[3]  'ids': '1' to refresh the TTL of each document found; pages: the start rank
  ARGV[4..] 'ids': the ids; pages: ARGV[4] the page size

  Returns { next start rank (-1 at the end; 0 for 'ids'), 1 when the namespace's index is lost
  (a page then lists only part of the documents: rebuild it) else 0, then per document 9 values:
  id, key, value, created, updated, TTL ms (false: none), vector count, vector version (false:
  none), deadline ms (false: none) }, a missing id (expired or deleted) giving id and eight false
  values.
]]
--- @include "store"

local now = now_ms()
local lost = index_lost()
local out = { 0, lost and 1 or 0 }
local ids
if ARGV[2] == 'ids' then
  ids = {}
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  purge_expired(now)
  local start, size = tonumber(ARGV[3]), tonumber(ARGV[4])
  ids = redis.call('ZRANGE', ARGV[2] == 'plain' and KEYS[2] or KEYS[1], start, start + size - 1)
  out[1] = #ids < size and -1 or start + size
end
local refreshed = false
for _, id in ipairs(ids) do
  local doc = ARGV[1] .. id
  local row = redis.call('HMGET', doc, 'k', 'v', 'c', 'u', 't', 'n', 'vv')
  out[#out + 1] = id
  if not row[1] then
    for _ = 1, 8 do out[#out + 1] = false end
  else
    local deadline = false
    if ARGV[2] == 'ids' and ARGV[3] == '1' and row[5] then
      deadline = refresh(id, now)
      refreshed = true
    elseif row[5] then
      deadline = now + redis.call('PTTL', doc)
    end
    for j = 1, 7 do out[#out + 1] = row[j] end
    out[#out + 1] = deadline
  end
end
if refreshed then settle(lost) end
return out
