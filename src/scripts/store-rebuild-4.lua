--[[
  Rebuilds the index of one namespace (its three sorted sets and meta's sequence) from its
  document hashes, found by a SCAN of the namespace's document key prefix: after eviction took
  its document set, or any other of its index keys.

  KEYS[1..4] see includes/store.lua (documents, plain, expiries, meta)
  ARGV[1]  the namespace's document key prefix
  ARGV[2..] the ids of every document hash the SCAN found (gone ones are skipped)

  Returns the namespace's state after: 1 empty (its bookkeeping deleted), 0 not.
  Errors: Redis's OOM error, before anything changed, when documents are to be indexed at
  maxmemory (a namespace found empty is settled even then: that only deletes).
]]
--- @include "store"
--- @include "oom"

local now = now_ms()
local found = {}
for i = 2, #ARGV do
  local row = redis.call('HMGET', ARGV[1] .. ARGV[i], 's', 'n', 't', 'p')
  if row[1] then found[#found + 1] = { ARGV[i], row[1], row[2], row[3], row[4] } end
end
if #found > 0 then refuse_if_oom(KEYS[4]) end
-- Added to, not replaced: a write between the SCAN and this script indexed its own documents.
redis.call('HDEL', KEYS[4], 'lost')
unindex_gone(redis.call('ZRANGE', KEYS[1], 0, -1))
local top = tonumber(redis.call('HGET', KEYS[4], 'seq') or '0')
for _, d in ipairs(found) do
  local id, seq, n, ttl, path = d[1], d[2], d[3], d[4], d[5]
  redis.call('ZADD', KEYS[1], seq, id)
  if (n or '0') == '0' then redis.call('ZADD', KEYS[2], seq, id) end
  if ttl then
    local left = redis.call('PTTL', ARGV[1] .. id)
    if left > 0 then redis.call('ZADD', KEYS[3], now + left, id) end
  end
  if tonumber(seq) > top then top = tonumber(seq) end
  if path then redis.call('HSET', KEYS[4], 'path', path) end
end
if #found > 0 then redis.call('HSET', KEYS[4], 'seq', top) end
return settle(false)
