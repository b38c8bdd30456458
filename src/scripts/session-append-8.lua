--[[
  Appends messages to a session, atomically: skips what was already appended (idempotency), trims
  the window (moving what falls off to the pending-summary list when a summarizer is set), updates
  the metadata and the user's session index, and gives every key of the session its deadline.

  KEYS[1..7]  and ARGV[1..4]: see includes/session.lua
  KEYS[8]     the event stream of the user's partition: see includes/session-events.lua
  ARGV[5..7]  event cap (or ''), tenant, user id: see includes/session-events.lua
  ARGV[8]  max messages kept in the window (0: no limit)
  ARGV[9]  what happens to trimmed messages: 'drop' | 'summarize'
  ARGV[10] how many idempotency keys to remember
  ARGV[11] idempotency key of the whole call, or ''
  ARGV[12] n, the number of messages; then n triples: message dedupe id (or ''), message id, message JSON

  Events (when on): 'session.created' when this call created the session, then 'session.appended'
  with the ids of the messages written and the pending-summary length; nothing when every message
  was a duplicate.

  Returns { appended, length after trim, pending-summary length, flags }
    flags: one character per message, '1' appended, '0' skipped as a duplicate;
    all '0' when the whole call was a retry of an idempotency key already seen.

  Cost: an append does only what it must. Its first write (ZADD, RPUSH or HSET, all refused at
  maxmemory) is the OOM gate of a live session. The idempotency set is read (one ZMSCORE) and
  written (one ZADD) only when the call carries keys, and trimmed only when it has been given
  window + window/10 (at least 1) members since its last trim, back to the newest `window`: it
  always remembers at least the newest `window` keys. Lengths come from meta and RPUSH, metadata
  is one HSET, and the index score and the deadlines move only by the step (includes/session.lua).
]]
--- @include "session"
--- @include "session-events"

local s = open_for_write(true)
local now = now_ms()
local batch = ARGV[11]
local n = tonumber(ARGV[12])
local window = tonumber(ARGV[10])
local flags, fresh, fresh_ids = {}, {}, {}
local function arg_of(i, field) return ARGV[9 + 3 * i + field] end -- field 1 dedupe id, 2 id, 3 JSON

-- The idempotency members this call asks about: the call's key first, then each message's id.
local asked = {}
if batch ~= '' then asked[1] = 'b:' .. batch end
for i = 1, n do
  local dedupe = arg_of(i, 1)
  if dedupe ~= '' then asked[#asked + 1] = 'm:' .. dedupe end
end
local known = {}
if s.idem and #asked > 0 then
  for i = 1, #asked, 1000 do
    local part = { unpack(asked, i, math.min(i + 999, #asked)) }
    local scores = redis.call('ZMSCORE', KEYS[5], unpack(part))
    for j = 1, #part do
      if scores[j] then known[part[j]] = true end
    end
  end
end

local n_idem = s.n_idem
if batch ~= '' and known['b:' .. batch] then
  for i = 1, n do flags[i] = '0' end
else
  local remember = {}
  for i = 1, n do
    local dedupe = arg_of(i, 1)
    local member = dedupe ~= '' and ('m:' .. dedupe) or nil
    if member and known[member] then
      flags[i] = '0'
    else
      flags[i] = '1'
      fresh[#fresh + 1] = arg_of(i, 3)
      fresh_ids[#fresh_ids + 1] = arg_of(i, 2)
      if member then
        known[member] = true -- the same id twice in one call: the second is a duplicate
        remember[#remember + 1] = now
        remember[#remember + 1] = member
      end
    end
  end
  if batch ~= '' then
    remember[#remember + 1] = now
    remember[#remember + 1] = 'b:' .. batch
  end
  for i = 1, #remember, 2000 do
    n_idem = n_idem + redis.call('ZADD', KEYS[5], unpack(remember, i, math.min(i + 1999, #remember)))
  end
  if n_idem > window + math.max(1, math.floor(window / 10)) then
    redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -window - 1)
    n_idem = window
  end
end

local length = s.n_msgs
for i = 1, #fresh, 1000 do
  length = redis.call('RPUSH', KEYS[1], unpack(fresh, i, math.min(i + 999, #fresh)))
end

-- Keys this call created: a list RPUSH made (it held nothing before), a new idempotency set.
local created = {}
if #fresh > 0 and length == #fresh then created[#created + 1] = 1 end
if n_idem > 0 and not s.idem then created[#created + 1] = 5 end

local pending = s.n_pending
local max = tonumber(ARGV[8])
if max > 0 and length > max then
  local excess = length - max
  if ARGV[9] == 'summarize' then
    for i = 0, excess - 1, 1000 do
      local moved = redis.call('LRANGE', KEYS[1], i, math.min(i + 999, excess - 1))
      pending = redis.call('RPUSH', KEYS[6], unpack(moved))
    end
    if s.n_pending == 0 then created[#created + 1] = 6 end
  end
  redis.call('LTRIM', KEYS[1], excess, -1)
  length = max
end

local fields = { 'n_msgs', length, 'n_pending', pending }
if n_idem ~= s.n_idem then table.insert(fields, 'idem'); table.insert(fields, n_idem) end
touch_for_write(now, s, fields, created, #fresh)
if #fresh > 0 then
  if s.fresh then publish('session.created', '[]') end
  publish('session.appended', cjson.encode(fresh_ids), pending)
end
return { #fresh, length, pending, table.concat(flags) }
