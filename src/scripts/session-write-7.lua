--[[
  Small writes to a session: a tool-call result, user metadata fields, or only the TTL policy
  (with ARGV[4] = '1'); each one marks activity and sets every key's deadline.

  KEYS and ARGV[1..4]: see includes/session.lua
  ARGV[5]  tool call id whose result ARGV[6] (JSON) is stored, or '' for none
  ARGV[6]  the tool result JSON
  ARGV[7]  n metadata fields to set; then n pairs field, JSON value; then the fields to delete

  Returns 1.
]]
--- @include "session"

local s = open_for_write()
local fields = {}
if ARGV[5] ~= '' and redis.call('HSET', KEYS[4], ARGV[5], ARGV[6]) == 1 then
  fields = { 'n_tools', s.n_tools + 1 }
end
local n = tonumber(ARGV[7])
for i = 1, n do table.insert(fields, 'm:' .. ARGV[6 + 2 * i]); table.insert(fields, ARGV[7 + 2 * i]) end
for i = 8 + 2 * n, #ARGV do redis.call('HDEL', KEYS[2], 'm:' .. ARGV[i]) end
touch_for_write(now_ms(), s, fields, { 4 }, 0)
return 1
