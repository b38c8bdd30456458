-- Shared by every session script; included with `--- @include "session"`.
-- KEYS: 1 messages (list), 2 meta (hash), 3 state (hash), 4 tool results (hash),
--       5 idempotency (sorted set), 6 pending summary (list), 7 the user's session index (sorted set)
-- ARGV: 1 session id, 2 TTL mode (sliding | fixed | none), 3 TTL in ms,
--       4 '1' when the caller sets the TTL policy explicitly (else the stored one wins)
--
-- Every key of a session shares one deadline: meta's own expiry (PTTL), the one place it is kept,
-- so a read moves it with PEXPIREAT alone and never needs memory. A sliding deadline moves only
-- when it would move by at least min(1% of the TTL, 1 s): a busy session skips re-expiring its keys.
--
-- The user's index holds each session with its last activity as score, to within the same step:
-- a write moves the score only when it would move by at least that much (meta's `indexed` is the
-- score last written); a listing orders by meta's `updated`, exact. The index is one key: when it
-- is evicted, the next listing rebuilds it (session-index-rebuild-1.lua), so no session is lost.
--
-- Whole or gone: Redis evicts key by key, so meta counts what the other keys must hold (n_msgs,
-- n_pending, n_tools, state_bytes, idem: members given to the idempotency set since its last
-- trim). A session whose meta is missing, or whose meta expects a key that is missing, is gone:
-- reads see nothing, and a write deletes the leftovers first and starts it anew. A session never
-- mixes leftovers with new data.

--- @include "oom"

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The step a sliding deadline and the index score move by, at least: min(1% of the TTL, 1 s).
local function step_of(ttl)
  if not ttl or ttl <= 0 then return 1000 end
  return math.min(ttl / 100, 1000)
end

local META_FIELDS = { 'ttl_mode', 'ttl_ms', 'created', 'total', 'n_msgs', 'n_pending', 'n_tools', 'state_bytes', 'idem',
                      'indexed', 'updated' }

-- meta as a table (nil when the session is gone), after checking every key meta expects exists.
-- `k`: the session's keys in the order of KEYS (default: this script's KEYS).
local function load_session(k)
  k = k or KEYS
  local v = redis.call('HMGET', k[2], unpack(META_FIELDS))
  if not v[1] then return nil end
  -- idem: how many members the idempotency set was given since its last trim (older data: '1').
  local s = { mode = v[1], ttl = tonumber(v[2]), created = v[3], total = tonumber(v[4]) or 0,
              n_msgs = tonumber(v[5]) or 0, n_pending = tonumber(v[6]) or 0, n_tools = tonumber(v[7]) or 0,
              state_bytes = tonumber(v[8]) or 0, n_idem = tonumber(v[9]) or 0, indexed = tonumber(v[10]),
              updated = tonumber(v[11]) }
  s.idem = s.n_idem > 0
  local expected = {}
  if s.n_msgs > 0 then expected[#expected + 1] = k[1] end
  if s.state_bytes > 0 then expected[#expected + 1] = k[3] end
  if s.n_tools > 0 then expected[#expected + 1] = k[4] end
  if s.idem then expected[#expected + 1] = k[5] end
  if s.n_pending > 0 then expected[#expected + 1] = k[6] end
  if #expected > 0 and redis.call('EXISTS', unpack(expected)) < #expected then return nil end
  return s
end

local function drop_session_keys()
  redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
end

-- For writes: refuses at maxmemory before anything is written, then the session (a new one, with
-- any leftovers of a broken one deleted, when it is gone). `first_write_denies_oom`: the caller's
-- first write to a live session is a command Redis refuses at maxmemory (RPUSH, ZADD, HSET: flagged
-- denyoom), which is the gate then; the explicit one runs only before deleting leftovers.
local function open_for_write(first_write_denies_oom)
  if not first_write_denies_oom then refuse_if_oom(KEYS[2]) end
  local s = load_session()
  if s then return s end
  if first_write_denies_oom then refuse_if_oom(KEYS[2]) end
  drop_session_keys()
  return { fresh = true, total = 0, n_msgs = 0, n_pending = 0, n_tools = 0, state_bytes = 0, n_idem = 0, idem = false }
end

local function expire_at(key, deadline)
  if deadline then redis.call('PEXPIREAT', key, deadline) else redis.call('PERSIST', key) end
end

-- meta's deadline in ms, or nil when it has none.
local function current_deadline(now)
  local pttl = redis.call('PTTL', KEYS[2])
  if pttl >= 0 then return now + pttl end
  return nil
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
  return not deadline or now + ttl - deadline >= step_of(ttl)
end

-- For writes, with `s` from open_for_write and `fields` the meta fields this call changes (flat
-- list, counters included): resolves the TTL policy (the stored one, or the caller's when explicit
-- or when the session is new), records activity, and sets the deadline: on every key when the
-- policy changed or the deadline moves, else on the keys this call may have created (`created`:
-- indexes into KEYS; a key that already existed has the deadline). `added` is how many messages
-- this call appended. The user's index gets the session's activity as its score when the score would move by
-- at least the step (step_of; meta's `indexed` is the score last written), so a busy session does
-- not rewrite it on every call; a new session always enters it. Returns the deadline.
local function touch_for_write(now, s, fields, created, added)
  local mode, ttl = s.mode, s.ttl
  local changed = s.fresh == true
  table.insert(fields, 'updated'); table.insert(fields, now)
  if ARGV[4] == '1' or not mode then
    if mode ~= ARGV[2] or ttl ~= tonumber(ARGV[3]) then changed = true end
    mode, ttl = ARGV[2], tonumber(ARGV[3])
    table.insert(fields, 'ttl_mode'); table.insert(fields, mode)
    table.insert(fields, 'ttl_ms'); table.insert(fields, ttl)
  end
  if not s.created then table.insert(fields, 'created'); table.insert(fields, now) end
  if added > 0 then table.insert(fields, 'total'); table.insert(fields, s.total + added) end

  -- A session without TTL whose policy did not change has no deadline: no need to ask.
  local deadline = nil
  if not changed and mode ~= 'none' then deadline = current_deadline(now) end
  local next_deadline = deadline
  if mode == 'sliding' then
    if changed or sliding_moves(ttl, deadline, now) then next_deadline = now + ttl end
  elseif mode == 'fixed' then
    if changed or not deadline then next_deadline = now + ttl end
  else
    next_deadline = nil
  end
  local index_is_new = false
  if changed or not s.indexed or math.abs(now - s.indexed) >= step_of(ttl) then
    table.insert(fields, 'indexed'); table.insert(fields, now)
    index_is_new = redis.call('ZADD', KEYS[7], now, ARGV[1]) == 1 and redis.call('ZCARD', KEYS[7]) == 1
  end
  redis.call('HSET', KEYS[2], unpack(fields))
  if changed or next_deadline ~= deadline or index_is_new then
    expire_session(next_deadline, now, index_is_new)
  elseif next_deadline then
    for _, i in ipairs(created) do redis.call('PEXPIREAT', KEYS[i], next_deadline) end
  end
  return next_deadline
end

-- For reads: meta as from load_session, or nil when the session is gone (its leftovers, if any,
-- are deleted; nothing is created). A sliding session's deadline moves, on every key, when it is
-- due: PEXPIREAT needs no memory, so a read works at maxmemory too. `s.remaining`: a sliding
-- session's remaining TTL in ms after this (-1 for the other policies).
local function open_for_read()
  local s = load_session()
  if not s then
    if redis.call('EXISTS', KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6]) > 0 then drop_session_keys() end
    return nil
  end
  s.remaining = -1
  if s.mode == 'sliding' then
    s.remaining = redis.call('PTTL', KEYS[2])
    if s.remaining < 0 or s.ttl - s.remaining >= step_of(s.ttl) then
      local now = now_ms()
      expire_session(now + s.ttl, now, false)
      s.remaining = s.ttl
    end
  end
  return s
end
