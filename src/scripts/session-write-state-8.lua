--[[
  Writes the session's reasoning state (a hash: top-level field -> JSON value), replacing it or
  patching some fields, with an optional compare-and-set on its version.

  KEYS[1..7]  and ARGV[1..4]: see includes/session.lua
  KEYS[8]     the event stream of the user's partition: see includes/session-events.lua
  ARGV[5..7]  event cap (or ''), tenant, user id: see includes/session-events.lua
  ARGV[8]  'replace' | 'patch'
  ARGV[9]  expected version, or '' to write whatever the version
  ARGV[10] size limit of the whole state in bytes
  ARGV[11] n fields to set; then n pairs field, JSON value; then the fields to delete

  Events (when on): 'session.state' after each write.

  Returns the new version.
  Errors: AM_CONFLICT when the version is not the expected one; AM_INVALID when the state would
  exceed the size limit. Nothing is written in either case.
]]
--- @include "session"
--- @include "session-events"

local s = open_for_write()
local version = tonumber(redis.call('HGET', KEYS[2], 'state_v') or '0')
if ARGV[9] ~= '' and tonumber(ARGV[9]) ~= version then
  return redis.error_reply('AM_CONFLICT the state is at version ' .. version .. ', not ' .. ARGV[9] .. '; reload it and retry')
end

local n = tonumber(ARGV[11])
local replace = ARGV[8] == 'replace'
local bytes = replace and 0 or s.state_bytes
local function size_of(field)
  local len = redis.call('HSTRLEN', KEYS[3], field)
  if len == 0 and redis.call('HEXISTS', KEYS[3], field) == 0 then return 0 end
  return #field + len
end
for i = 1, n do
  local field, value = ARGV[10 + 2 * i], ARGV[11 + 2 * i]
  if not replace then bytes = bytes - size_of(field) end
  bytes = bytes + #field + #value
end
for i = 12 + 2 * n, #ARGV do
  if not replace then bytes = bytes - size_of(ARGV[i]) end
end
if bytes > tonumber(ARGV[10]) then
  return redis.error_reply('AM_INVALID state: it would be ' .. bytes .. ' bytes, over the limit of ' .. ARGV[10])
end

if replace then redis.call('DEL', KEYS[3]) end
for i = 1, n do redis.call('HSET', KEYS[3], ARGV[10 + 2 * i], ARGV[11 + 2 * i]) end
for i = 12 + 2 * n, #ARGV do redis.call('HDEL', KEYS[3], ARGV[i]) end
touch_for_write(now_ms(), s, { 'state_v', version + 1, 'state_bytes', bytes }, { 3 }, 0)
publish('session.state', '[]')
return version + 1
