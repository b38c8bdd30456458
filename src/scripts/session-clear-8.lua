--[[
  Clears a session's messages (and their summary), or deletes the whole session.

  KEYS[1..7]  and ARGV[1..4]: see includes/session.lua
  KEYS[8]     the event stream of the user's partition: see includes/session-events.lua
  ARGV[5..7]  event cap (or ''), tenant, user id: see includes/session-events.lua
  ARGV[8]  'messages' to drop the messages, the pending ones and the summary, keeping state,
           tool results and metadata; 'session' to delete every key of the session

  Events (when on): 'session.cleared' or 'session.ended' when there was a session to clear.

  Returns the number of messages removed.
]]
--- @include "session"
--- @include "session-events"

-- Frees memory, so it runs at maxmemory too (no refuse_if_oom): UNLINK and HDEL need none.
local s = load_session()
local removed = s and (redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[6])) or 0
if ARGV[8] == 'session' or not s then
  drop_session_keys()
  redis.call('ZREM', KEYS[7], ARGV[1])
  if s then publish('session.ended', '[]') end
else
  redis.call('UNLINK', KEYS[1], KEYS[6])
  redis.call('HDEL', KEYS[2], 'summary', 'summary_v')
  touch_for_write(now_ms(), s, { 'n_msgs', 0, 'n_pending', 0 }, {}, 0)
  publish('session.cleared', '[]')
end
return removed
