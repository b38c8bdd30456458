--[[
  Clears a session's messages (and their summary), or deletes the whole session.

  KEYS and ARGV[1..4]: see includes/session.lua
  ARGV[5]  'messages' to drop the messages, the pending ones and the summary, keeping state,
           tool results and metadata; 'session' to delete every key of the session

  Returns the number of messages removed.
]]
--- @include "session"

local removed = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[6])
if ARGV[5] == 'session' then
  redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
  redis.call('ZREM', KEYS[7], ARGV[1])
elseif redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('UNLINK', KEYS[1], KEYS[6])
  redis.call('HDEL', KEYS[2], 'summary', 'summary_v')
  touch_for_write(now_ms(), {}, 0)
end
return removed
