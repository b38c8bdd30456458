-- Shared by the document store's namespace scripts; included with `--- @include "store"`.
-- KEYS: 1 documents (sorted set: id by creation sequence), 2 plain (sorted set: ids of documents
--       without vectors), 3 expiries (sorted set: id by deadline ms), 4 meta (hash: path, seq,
--       lost)
-- ARGV: 1 the namespace's document key prefix ('…:{ds:…}:d:')
-- Document hash fields: k key, v value (JSON), c created ms, u updated ms, s sequence,
-- n vector count, vv vector version (absent: items `<id>.<j>` of an older release), p the
-- namespace path (JSON), t TTL ms (absent: no expiry). The hash's own TTL is the document's expiry.
-- The document hashes are the truth; the three sorted sets and meta are an index of them that
-- eviction can take key by key. A namespace whose document set is gone while its meta still
-- counts documents has lost its index: nothing is judged empty from it until it is rebuilt
-- (store-rebuild-4.lua) from a SCAN of the document hashes.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Whether the namespace's document set is known to be incomplete: it is gone while meta says
-- documents were written (meta and the set are created, expired and deleted together), or an
-- earlier script found it so and the rebuild has not run yet.
local function index_lost()
  if redis.call('HEXISTS', KEYS[4], 'lost') == 1 then return true end
  return redis.call('EXISTS', KEYS[1]) == 0 and redis.call('HEXISTS', KEYS[4], 'seq') == 1
end

-- Drops the index entries of each of `ids` whose document hash is gone (expired, evicted, deleted).
local function unindex_gone(ids)
  for _, id in ipairs(ids) do
    if redis.call('EXISTS', ARGV[1] .. id) == 0 then
      redis.call('ZREM', KEYS[1], id)
      redis.call('ZREM', KEYS[2], id)
      redis.call('ZREM', KEYS[3], id)
    end
  end
end

-- Drops the index entries of documents whose hash expired.
local function purge_expired(now)
  unindex_gone(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now))
end

-- Gives the bookkeeping keys the deadline of the last document when every document expires (so
-- an abandoned namespace leaves nothing behind), none otherwise; deletes them when empty. With
-- the index lost it changes nothing (the set does not hold every document).
-- Returns 1 when the namespace is empty, 0 when not, 2 when its index is lost.
local function settle(lost)
  if lost then return 2 end
  local count = redis.call('ZCARD', KEYS[1])
  if count == 0 then
    redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
    return 1
  end
  if redis.call('ZCARD', KEYS[3]) == count then
    local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')[2]
    for i = 1, 4 do redis.call('PEXPIREAT', KEYS[i], last) end
  else
    for i = 1, 4 do redis.call('PERSIST', KEYS[i]) end
  end
  return 0
end

-- Moves a document's deadline to now + its TTL. Returns the new deadline, or false.
local function refresh(id, now)
  local key = ARGV[1] .. id
  local ttl = redis.call('HGET', key, 't')
  if not ttl then return false end
  local deadline = now + tonumber(ttl)
  redis.call('PEXPIREAT', key, deadline)
  redis.call('ZADD', KEYS[3], deadline, id)
  return deadline
end
