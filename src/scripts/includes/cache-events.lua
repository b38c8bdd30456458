-- Shared by the cache scripts that invalidate (delete, invalidate-tag); included with
-- `--- @include "cache-events"`. The event is written by the same script as the invalidation it
-- reports, into the event stream of the partition (the hash slot) the script runs in, so an
-- invalidation that happened has its event and one that failed has none. It names what went by
-- digest only (entry and tag ids), never by key, tag name or value.

-- Appends one cache.invalidated event to `stream` (XADD MAXLEN ~ `cap`; nothing when `cap` is
-- ''): the cache's name, the tag's id ('' for none) and `ids`, a JSON array of entry ids. Called
-- after the script's first write, so Redis never refuses it at maxmemory (it checks only before).
local function publish_invalidation(stream, cap, cache, tag, ids)
  if cap == '' then return end
  if tag == '' then
    redis.call('XADD', stream, 'MAXLEN', '~', cap, '*', 'type', 'cache.invalidated', 'cache', cache, 'ids', ids)
  else
    redis.call('XADD', stream, 'MAXLEN', '~', cap, '*', 'type', 'cache.invalidated', 'cache', cache, 'tag', tag,
               'ids', ids)
  end
end
