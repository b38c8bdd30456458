--[[
  Writes and deletes documents of one namespace atomically, purging expired ones first: the
  commit point of a document store write. Its vectors (under a fresh version, which no read
  accepts before this script names it) and its registration are written before it, so a write
  cut before this script is invisible, and one cut after it is whole as far as a read can tell.

  KEYS[1..4] see includes/store.lua (documents, plain, expiries, meta)
  ARGV[1]  the namespace's document key prefix
  ARGV[2]  the namespace's path (JSON), kept in meta and in each document
  ARGV[3..] per operation, 7 values: 'put' | 'del', id, key, value JSON, TTL ms ('' none),
            vector count, vector version ('' none)
  (no operation: only purges and reports the namespace's state)

  Returns { 1 when the namespace was empty before (0 when not, or when its index is lost),
  the state after (1 empty, 0 not, 2 its index is lost: rebuild it), then per operation the
  vector count and vector version ('' none or an older release's) the document had before
  (0 and '' when it did not exist) }
  Errors: Redis's OOM error, before anything changed, when a put meets maxmemory.
]]
--- @include "store"
--- @include "oom"

-- A write that adds documents is refused at maxmemory before anything changes; deletes alone
-- free memory and go through.
for i = 3, #ARGV, 7 do
  if ARGV[i] == 'put' then refuse_if_oom(KEYS[4]); break end
end
local now = now_ms()
local lost = index_lost()
local puts = false
for i = 3, #ARGV, 7 do
  if ARGV[i] == 'put' then puts = true end
end
if lost and puts then
  -- The document set about to be written again holds only this write's documents: remember that
  -- it is incomplete until the rebuild.
  redis.call('HSET', KEYS[4], 'lost', '1')
end
purge_expired(now)
local was_empty = (not lost and redis.call('ZCARD', KEYS[1]) == 0) and 1 or 0
if puts and not lost and redis.call('HEXISTS', KEYS[4], 'seq') == 0 and was_empty == 0 then
  -- Meta was lost with the documents still indexed: the sequence goes on after the highest one.
  local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
  redis.call('HSET', KEYS[4], 'seq', top)
end
local out = { was_empty, 0 }
for i = 3, #ARGV, 7 do
  local op, id, key, value, ttl, n, version = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  local doc = ARGV[1] .. id
  local old = redis.call('HMGET', doc, 'c', 's', 'n', 'vv')
  out[#out + 1] = tonumber(old[3] or '0')
  out[#out + 1] = old[4] or ''
  if op == 'del' then
    redis.call('DEL', doc)
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZREM', KEYS[3], id)
  else
    local created, seq = old[1], old[2]
    if not created then
      created = now
      seq = redis.call('HINCRBY', KEYS[4], 'seq', 1)
    end
    redis.call('HSET', doc, 'k', key, 'v', value, 'c', created, 'u', now, 's', seq, 'n', n, 'p', ARGV[2])
    if version ~= '' then redis.call('HSET', doc, 'vv', version) else redis.call('HDEL', doc, 'vv') end
    if ttl ~= '' then
      redis.call('HSET', doc, 't', ttl)
      redis.call('PEXPIREAT', doc, now + tonumber(ttl))
      redis.call('ZADD', KEYS[3], now + tonumber(ttl), id)
    else
      redis.call('HDEL', doc, 't')
      redis.call('PERSIST', doc)
      redis.call('ZREM', KEYS[3], id)
    end
    redis.call('ZADD', KEYS[1], seq, id)
    if n == '0' then redis.call('ZADD', KEYS[2], seq, id) else redis.call('ZREM', KEYS[2], id) end
    redis.call('HSET', KEYS[4], 'path', ARGV[2])
  end
end
out[2] = settle(lost or redis.call('HEXISTS', KEYS[4], 'lost') == 1)
return out
