--[[
  Finishes a cache write, atomically: stores the entry (unless it is a failure), adds it to its
  tag sets, releases the stampede lock if this caller owns it, and tells the other processes.

  KEYS[1]   the entry
  KEYS[2]   the entry's stampede lock
  KEYS[3..] the tag sets the entry joins (same hash tag as the entry)
  ARGV[1]   'fill' to store ARGV[2]; 'fail' to store nothing (the computation failed)
  ARGV[2]   the encoded entry
  ARGV[3]   TTL in ms, or 0 for none
  ARGV[4]   lock token to release, or '' when this write holds no lock
  ARGV[5]   pub/sub channel
  ARGV[6]   message to publish, or '' for none

  Returns 1 when the lock was released, else 0.
  A tag set lives at least as long as its longest-lived entry (its TTL only grows; none when an
  entry has none), so invalidateTag never misses an entry still alive.
]]

local ttl = tonumber(ARGV[3])
if ARGV[1] == 'fill' then
  if ttl > 0 then
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
  else
    redis.call('SET', KEYS[1], ARGV[2])
  end
  for i = 3, #KEYS do
    local pttl = redis.call('PTTL', KEYS[i])
    redis.call('SADD', KEYS[i], KEYS[1])
    if ttl == 0 then
      redis.call('PERSIST', KEYS[i])
    elseif pttl == -2 or (pttl >= 0 and pttl < ttl) then
      redis.call('PEXPIRE', KEYS[i], ttl)
    end
  end
end

local released = 0
if ARGV[4] ~= '' and redis.call('GET', KEYS[2]) == ARGV[4] then
  redis.call('DEL', KEYS[2])
  released = 1
end
if ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
return released
