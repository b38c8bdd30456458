-- Shared by every session script; included with `--- @include "session"`.
-- KEYS: 1 messages (list), 2 meta (hash), 3 state (hash), 4 tool results (hash),
--       5 idempotency (sorted set), 6 pending summary (list), 7 the user's session index (sorted set)
-- ARGV: 1 session id, 2 TTL mode (sliding | fixed | none), 3 TTL in ms,
--       4 '1' when the caller sets the TTL policy explicitly (else the stored one wins)
-- Every key of a session gets the same deadline, so no key of a session outlives another.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Sets `key`'s expiry to `deadline` (absolute ms), or removes it when deadline is nil.
local function expire_at(key, deadline)
  if deadline then redis.call('PEXPIREAT', key, deadline) else redis.call('PERSIST', key) end
end

-- The index must live as long as its longest-lived session: it only ever extends its deadline,
-- and becomes permanent when a session without TTL joins. Call before ZADD creates it.
local function extend_index(deadline, now)
  local pttl = redis.call('PTTL', KEYS[7])
  if not deadline then
    redis.call('PERSIST', KEYS[7])
  elseif pttl == -2 or (pttl >= 0 and now + pttl < deadline) then
    return deadline
  end
  return nil
end

-- For writes: resolves the TTL policy (stored, or the caller's when explicit or when the session
-- is new), records it, marks activity, and gives every key of the session the same deadline.
local function touch_for_write(now)
  local stored = redis.call('HMGET', KEYS[2], 'ttl_mode', 'ttl_ms', 'expires_at')
  local mode, ttl, expires = stored[1], tonumber(stored[2]), tonumber(stored[3])
  if ARGV[4] == '1' or not mode then
    mode, ttl = ARGV[2], tonumber(ARGV[3])
    expires = nil
    redis.call('HSET', KEYS[2], 'ttl_mode', mode, 'ttl_ms', ttl)
  end
  local deadline = nil
  if mode == 'sliding' then
    deadline = now + ttl
  elseif mode == 'fixed' then
    if not expires then
      expires = now + ttl
      redis.call('HSET', KEYS[2], 'expires_at', expires)
    end
    deadline = expires
  end
  if mode ~= 'fixed' and stored[3] then redis.call('HDEL', KEYS[2], 'expires_at') end
  redis.call('HSETNX', KEYS[2], 'created', now)
  redis.call('HSET', KEYS[2], 'updated', now)
  local index_deadline = extend_index(deadline, now)
  redis.call('ZADD', KEYS[7], now, ARGV[1])
  if index_deadline then redis.call('PEXPIREAT', KEYS[7], index_deadline) end
  for i = 1, 6 do expire_at(KEYS[i], deadline) end
  return deadline
end

-- For reads: false when the session does not exist (expired or never written; nothing is
-- created). A sliding session gets every key's TTL refreshed.
local function touch_for_read(now)
  local stored = redis.call('HMGET', KEYS[2], 'ttl_mode', 'ttl_ms')
  if not stored[1] then return false end
  if stored[1] == 'sliding' then
    local deadline = now + tonumber(stored[2])
    for i = 1, 6 do redis.call('PEXPIREAT', KEYS[i], deadline) end
    local index_deadline = extend_index(deadline, now)
    if index_deadline then redis.call('PEXPIREAT', KEYS[7], index_deadline) end
  end
  return true
end
