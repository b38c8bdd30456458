--[[
  Writes and deletes documents of one namespace atomically, purging expired ones first.

  KEYS[1..4] see includes/store.lua (documents, plain, expiries, meta)
  ARGV[1]  the namespace's document key prefix
  ARGV[2]  the namespace's path (JSON), kept in meta
  ARGV[3..] per operation, 6 values: 'put' | 'del', id, key, value JSON, TTL ms ('' none),
            vector count
  (no operation: only purges and reports whether the namespace is empty)

  Returns { 1 when the namespace was empty before, 1 when it is empty after, then per operation
  the vector count the document had before (0 when it did not exist) }
]]
--- @include "store"
--- @include "oom"

-- A write that adds documents is refused at maxmemory before anything changes; deletes alone
-- free memory and go through.
for i = 3, #ARGV, 6 do
  if ARGV[i] == 'put' then refuse_if_oom(KEYS[4]); break end
end
local now = now_ms()
purge_expired(now)
local was_empty = redis.call('ZCARD', KEYS[1]) == 0 and 1 or 0
local out = { was_empty, 0 }
for i = 3, #ARGV, 6 do
  local op, id, key, value, ttl, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local doc = ARGV[1] .. id
  local old = redis.call('HMGET', doc, 'c', 's', 'n')
  out[#out + 1] = tonumber(old[3] or '0')
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
    redis.call('HSET', doc, 'k', key, 'v', value, 'c', created, 'u', now, 's', seq, 'n', n)
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
out[2] = settle()
return out
