-- Shared by every session script; included with `--- @include "session"`.
-- KEYS: 1 messages (list), 2 meta (hash), 3 state (hash), 4 tool results (hash),
--       5 idempotency (sorted set), 6 pending summary (list), 7 the user's session index (sorted set)
-- ARGV: 1 session id, 2 TTL mode (sliding | fixed | none), 3 TTL in ms,
--       4 '1' when the caller sets the TTL policy explicitly (else the stored one wins)
-- Every key of a session shares one deadline, kept in meta. A sliding deadline moves only when it
-- would move by at least min(1% of the TTL, 1 s): a busy session skips re-expiring its keys, and
-- no key of a session outlives another by more than that.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function expire_at(key, deadline)
  if deadline then redis.call('PEXPIREAT', key, deadline) else redis.call('PERSIST', key) end
end

-- Gives every key of the session `deadline` (nil: no expiry). The index only ever extends its
-- own deadline, so it outlives its longest-lived session; a session without TTL makes it permanent.
-- `index_is_new`: this call created the index, so its missing TTL means nothing yet.
local function expire_session(deadline, now, index_is_new)
  for i = 1, 6 do expire_at(KEYS[i], deadline) end
  if not deadline then
    redis.call('PERSIST', KEYS[7])
  else
    local pttl = redis.call('PTTL', KEYS[7])
    if index_is_new or (pttl >= 0 and now + pttl < deadline) then redis.call('PEXPIREAT', KEYS[7], deadline) end
  end
end

local function sliding_moves(ttl, deadline, now)
  return not deadline or now + ttl - deadline >= math.min(ttl / 100, 1000)
end

-- For writes: resolves the TTL policy (the stored one, or the caller's when explicit or when the
-- session is new), records activity and counters in meta, and sets the deadline: on every key
-- when it moves, else on the keys this call wrote (`written`: indexes into KEYS), which may be new.
-- `added` is how many messages this call appended. Returns the deadline.
local function touch_for_write(now, written, added)
  local stored = redis.call('HMGET', KEYS[2], 'ttl_mode', 'ttl_ms', 'deadline', 'created', 'total')
  local mode, ttl, deadline = stored[1], tonumber(stored[2]), tonumber(stored[3])
  local fields = { 'updated', now }
  if ARGV[4] == '1' or not mode then
    if mode ~= ARGV[2] or ttl ~= tonumber(ARGV[3]) then deadline = nil end
    mode, ttl = ARGV[2], tonumber(ARGV[3])
    table.insert(fields, 'ttl_mode'); table.insert(fields, mode)
    table.insert(fields, 'ttl_ms'); table.insert(fields, ttl)
  end
  if not stored[4] then table.insert(fields, 'created'); table.insert(fields, now) end
  if added > 0 then table.insert(fields, 'total'); table.insert(fields, (tonumber(stored[5]) or 0) + added) end

  local next_deadline = deadline
  if mode == 'sliding' then
    if sliding_moves(ttl, deadline, now) then next_deadline = now + ttl end
  elseif mode == 'fixed' then
    if not deadline then next_deadline = now + ttl end
  else
    next_deadline = nil
  end
  if next_deadline then table.insert(fields, 'deadline'); table.insert(fields, next_deadline) end
  redis.call('HSET', KEYS[2], unpack(fields))
  local index_is_new = redis.call('ZADD', KEYS[7], now, ARGV[1]) == 1 and redis.call('ZCARD', KEYS[7]) == 1
  if next_deadline ~= deadline or not stored[1] or index_is_new then
    if not next_deadline and stored[3] then redis.call('HDEL', KEYS[2], 'deadline') end
    expire_session(next_deadline, now, index_is_new)
  elseif next_deadline then
    for _, i in ipairs(written) do redis.call('PEXPIREAT', KEYS[i], next_deadline) end
  end
  return next_deadline
end

-- For reads: false when the session does not exist (expired or never written; nothing is
-- created). A sliding session's deadline moves, on every key, when it is due. The hot path asks
-- PTTL instead of TIME: meta's remaining TTL is the deadline minus now.
local function touch_for_read()
  local stored = redis.call('HMGET', KEYS[2], 'ttl_mode', 'ttl_ms')
  if not stored[1] then return false end
  if stored[1] == 'sliding' then
    local ttl = tonumber(stored[2])
    local remaining = redis.call('PTTL', KEYS[2])
    if remaining < 0 or ttl - remaining >= math.min(ttl / 100, 1000) then
      local now = now_ms()
      redis.call('HSET', KEYS[2], 'deadline', now + ttl)
      expire_session(now + ttl, now, false)
    end
  end
  return true
end
