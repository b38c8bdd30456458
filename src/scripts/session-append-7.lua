--[[
  Appends messages to a session, atomically: skips what was already appended (idempotency), trims
  the window (moving what falls off to the pending-summary list when a summarizer is set), updates
  the metadata and the user's session index, and gives every key of the session its deadline.

  KEYS and ARGV[1..4]: see includes/session.lua
  ARGV[5]  max messages kept in the window (0: no limit)
  ARGV[6]  what happens to trimmed messages: 'drop' | 'summarize'
  ARGV[7]  how many idempotency keys to remember
  ARGV[8]  idempotency key of the whole call, or ''
  ARGV[9]  n, the number of messages; then n pairs: message dedupe id (or ''), message JSON

  Returns { appended, length after trim, pending-summary length, flags }
    flags: one character per message, '1' appended, '0' skipped as a duplicate;
    all '0' when the whole call was a retry of an idempotency key already seen.
]]
--- @include "session"

local s = open_for_write()
local now = now_ms()
local batch = ARGV[8]
local n = tonumber(ARGV[9])
local flags, fresh = {}, {}

local remembered = false
if batch ~= '' and redis.call('ZSCORE', KEYS[5], 'b:' .. batch) then
  for i = 1, n do flags[i] = '0' end
else
  for i = 1, n do
    local dedupe = ARGV[8 + 2 * i]
    if dedupe ~= '' and redis.call('ZSCORE', KEYS[5], 'm:' .. dedupe) then
      flags[i] = '0'
    else
      flags[i] = '1'
      fresh[#fresh + 1] = ARGV[9 + 2 * i]
      if dedupe ~= '' then redis.call('ZADD', KEYS[5], now, 'm:' .. dedupe); remembered = true end
    end
  end
  if batch ~= '' then redis.call('ZADD', KEYS[5], now, 'b:' .. batch); remembered = true end
  local window = tonumber(ARGV[7])
  if redis.call('ZCARD', KEYS[5]) > window then redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -window - 1) end
end

local length = nil
for i = 1, #fresh, 1000 do
  length = redis.call('RPUSH', KEYS[1], unpack(fresh, i, math.min(i + 999, #fresh)))
end
length = length or redis.call('LLEN', KEYS[1])

local written, pending = { 1, 5 }, 0
local max = tonumber(ARGV[5])
if max > 0 and length > max then
  local excess = length - max
  if ARGV[6] == 'summarize' then
    for i = 0, excess - 1, 1000 do
      local moved = redis.call('LRANGE', KEYS[1], i, math.min(i + 999, excess - 1))
      pending = redis.call('RPUSH', KEYS[6], unpack(moved))
    end
    written[3] = 6
  end
  redis.call('LTRIM', KEYS[1], excess, -1)
  length = max
end
if ARGV[6] == 'summarize' and pending == 0 then pending = redis.call('LLEN', KEYS[6]) end

local fields = { 'n_msgs', length, 'n_pending', pending }
if remembered and not s.idem then table.insert(fields, 'idem'); table.insert(fields, '1') end
touch_for_write(now, s, fields, written, #fresh)
return { #fresh, length, pending, table.concat(flags) }
