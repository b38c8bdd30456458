--[[
  Invalidates a tag in one shard: deletes its generation (so no entry that recorded it is ever
  current again, whatever else was lost) and, at once, the entries its tag set names that still
  carry the tag; an entry re-set since with other tags or none is left alone. Tells the other
  processes (near caches drop their copies). When asked to (ARGV[4], only the call of the tag's
  own shard: one event an invalidation), writes its cache.invalidated event in the same step.
  Only deletes, PUBLISH and that XADD after them: it works at maxmemory.

  KEYS[1]  the tag set (members: entry keys of the same shard)
  KEYS[2]  the tag's generation key
  KEYS[3]  the event stream of the shard's partition (its hash slot's stream)
  ARGV[1]  the tag id
  ARGV[2]  pub/sub channel
  ARGV[3]  message to publish
  ARGV[4]  '' to write no event, else the stream's cap (XADD MAXLEN ~)
  ARGV[5]  the cache's name

  Returns the number of entries deleted that carried the tag's current generation (entries the
  tag set no longer names, say after it was evicted, are invalidated all the same, uncounted).
]]
--- @include "cache"
--- @include "cache-events"

local current = redis.call('GET', KEYS[2])
local doomed, deleted = {}, 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local head = redis.call('GETRANGE', member, 0, 14 + 64 * TAG_BYTES - 1)
  if #head >= 13 then
    if math.floor(string.byte(head, 1) / 2) ~= 3 then
      doomed[#doomed + 1] = member -- written before entries recorded their tags: trust the set
      deleted = deleted + 1
    else
      for _, tag in ipairs(entry_tags(head)) do
        if tag[1] == ARGV[1] then
          doomed[#doomed + 1] = member
          if tag[2] == current then deleted = deleted + 1 end
          break
        end
      end
    end
  end
end
for i = 1, #doomed, 500 do
  redis.call('UNLINK', unpack(doomed, i, math.min(i + 499, #doomed)))
end
redis.call('UNLINK', KEYS[1], KEYS[2])
redis.call('PUBLISH', ARGV[2], ARGV[3])
publish_invalidation(KEYS[3], ARGV[4], ARGV[5], ARGV[1], '[]')
return deleted
