-- Shared by the session scripts that publish events (append, clear, write-state); included with
-- `--- @include "session-events"` after "session". The event is written by the same script as the
-- change it reports, so an acknowledged change always has its event and a failed one never does.
-- KEYS[8] the event stream of the user's partition (the stream of their keys' hash slot)
-- ARGV[5] '' when the store publishes no events, else the stream's cap (XADD MAXLEN ~)
-- ARGV[6] tenant, ARGV[7] user id

-- Appends one event: `kind` (see src/events/types.ts) and `ids`, a JSON array of ids (never content).
local function publish(kind, ids)
  if ARGV[5] == '' then return end
  redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[5], '*', 'type', kind, 'tenant', ARGV[6], 'user', ARGV[7],
             'session', ARGV[1], 'ids', ids)
end
