--[[
  Stores a new running summary and drops the pending messages it covers, if no other writer
  committed a summary since this one was started (compare-and-set on the summary version).

  KEYS and ARGV[1..4]: see includes/session.lua
  ARGV[5]  expected summary version
  ARGV[6]  how many pending messages (from the head) the summary covers
  ARGV[7]  the summary text

  Returns the new summary version. Error: AM_CONFLICT when another summary was committed first.
]]
--- @include "session"

local s = open_for_write()
if s.fresh then return redis.error_reply('AM_CONFLICT the session is gone; nothing to summarize') end
local version = tonumber(redis.call('HGET', KEYS[2], 'summary_v') or '0')
if tonumber(ARGV[5]) ~= version then
  return redis.error_reply('AM_CONFLICT the summary is at version ' .. version .. ', not ' .. ARGV[5])
end
redis.call('LTRIM', KEYS[6], tonumber(ARGV[6]), -1)
local fields = { 'summary', ARGV[7], 'summary_v', version + 1, 'n_pending', redis.call('LLEN', KEYS[6]) }
touch_for_write(now_ms(), s, fields, {}, 0)
return version + 1
