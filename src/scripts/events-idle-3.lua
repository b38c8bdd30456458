--[[
  Announces that a session went quiet: publishes one 'session.idle' event for a session the
  partition's idle watch holds, once per quiet spell. The watch (a sorted set) holds each session
  an extraction worker saw messages appended to, scored by that append's time; the session's own
  last activity is meta's `updated`. The session is idle when that is at least ARGV[2] ms old by
  the server's clock. A session active again is re-scored and waits; a session gone (deleted,
  expired, evicted) leaves the watch unannounced: it has nothing left to summarize. Meta's `idle`
  keeps the last activity announced, so a late or re-delivered append event that notes the
  session again after its announcement does not announce the same spell twice.

  KEYS[1]  the partition's idle watch (sorted set: member → last activity seen, ms)
  KEYS[2]  the partition's event stream (same slot)
  KEYS[3]  the session's meta hash (the user's keys hash to the partition's slot)
  ARGV[1]  the member (JSON [tenant, user id, session id])
  ARGV[2]  quiet time before a session is idle, ms
  ARGV[3]  the stream's cap (XADD MAXLEN ~)
  ARGV[4]  tenant, ARGV[5] user id, ARGV[6] session id

  Returns 1 announced (the member leaves the watch), 0 not idle (re-scored to its last activity,
  or already announced by another sweep), -1 gone (the member leaves, nothing announced).
]]
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not seen then return 0 end
local meta = redis.call('HMGET', KEYS[3], 'created', 'updated', 'idle')
if not meta[1] then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return -1
end
local last = math.max(tonumber(seen), tonumber(meta[2]) or 0)
-- This spell was announced already: a late or re-delivered append event noted the session again.
if meta[3] and tonumber(meta[3]) >= last then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now - last < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], 'GT', last, ARGV[1])
  return 0
end
redis.call('HSET', KEYS[3], 'idle', last)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'type', 'session.idle', 'tenant', ARGV[4], 'user', ARGV[5],
           'session', ARGV[6], 'ids', '[]')
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
