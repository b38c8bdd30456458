-- Shared by the session scripts that publish events (append, clear, write-state); included with
-- `--- @include "session-events"` after "session". The event is written by the same script as the
-- change it reports, so an acknowledged change always has its event and a failed one never does.
-- KEYS[8] the event stream of the user's partition (the stream of their keys' hash slot)
-- ARGV[5] '' when the store publishes no events, else the stream's cap (XADD MAXLEN ~)
-- ARGV[6] tenant, ARGV[7] user id

-- Appends one event: `kind` (see src/events/types.ts), `ids`, a JSON array of ids (never content),
-- and `pending` when given: how many trimmed messages wait for the summarizer.
local function publish(kind, ids, pending)
  if ARGV[5] == '' then return end
  if pending then
    redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[5], '*', 'type', kind, 'tenant', ARGV[6], 'user', ARGV[7],
               'session', ARGV[1], 'ids', ids, 'pending', pending)
  else
    redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[5], '*', 'type', kind, 'tenant', ARGV[6], 'user', ARGV[7],
               'session', ARGV[1], 'ids', ids)
  end
end
