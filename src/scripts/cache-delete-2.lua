--[[
  Deletes an entry and tells the other processes (near caches drop their copies), atomically: a
  copy read after the message cannot be of the deleted value. When the entry existed and the
  cache publishes events, writes its cache.invalidated event in the same step. Works at maxmemory.

  KEYS[1]  the entry
  KEYS[2]  the event stream of the entry's partition (its hash slot's stream)
  ARGV[1]  pub/sub channel
  ARGV[2]  message to publish
  ARGV[3]  '' when the cache publishes no events, else the stream's cap (XADD MAXLEN ~)
  ARGV[4]  the cache's name
  ARGV[5]  the event's ids: a JSON array holding the entry id

  Returns 1 when the entry existed, else 0.
]]
--- @include "cache-events"

local deleted = redis.call('UNLINK', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2])
if deleted == 1 then publish_invalidation(KEYS[2], ARGV[3], ARGV[4], '', ARGV[5]) end
return deleted
