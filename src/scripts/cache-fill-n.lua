--[[
  Finishes a cache write, atomically: stores the entry with its tags' generations (unless it is a
  failure, or a tag was invalidated since the value was computed), adds it to its tag sets,
  releases the stampede lock if this caller owns it, and tells the other processes (waiters wake,
  near caches drop their copies: every writer publishes, near cache or not).

  KEYS[1]   the entry
  KEYS[2]   the entry's stampede lock
  KEYS[3..] per tag, its tag set then its generation key (same hash tag as the entry)
  ARGV[1]   'fill' to store the entry; 'fail' to store nothing (the value could not be had)
  ARGV[2]   the entry's header (envelope.ts: 13 bytes)
  ARGV[3]   the rest of the entry (key and value)
  ARGV[4]   TTL in ms, or 0 for none
  ARGV[5]   lock token to release, or '' when this write holds no lock
  ARGV[6]   pub/sub channel
  ARGV[7]   message to publish when the entry is stored, or skipped as stale
  ARGV[8]   message to publish when it is not stored ('fail', or Redis at maxmemory)
  ARGV[9]   a new random generation, for tags that have none
  ARGV[10..] per tag, its id (22 bytes) and then the generation read before the value was
            computed: '' to skip the check (a value the caller gave), anything else must still be
            the tag's generation

  Returns 1 when stored, 0 when not (a failure, or a tag was invalidated meanwhile: the value may
  be built on what changed). At maxmemory the entry's SET is the first write, so Redis refuses it
  before anything changed (it checks no later write of a script); then the lock is released, the
  waiters told, and Redis's OOM error returned.
  A tag set and a generation key live at least as long as their longest-lived entry (their TTL
  only grows; none when an entry has none).
]]
--- @include "cache"

local ttl = tonumber(ARGV[4])
local count = (#KEYS - 2) / 2

local function release(message)
  if ARGV[5] ~= '' and redis.call('GET', KEYS[2]) == ARGV[5] then redis.call('DEL', KEYS[2]) end
  redis.call('PUBLISH', ARGV[6], message)
end

if ARGV[1] == 'fail' then
  release(ARGV[8])
  return 0
end

local stamps, made = {}, {}
for i = 1, count do
  local id, seen = ARGV[8 + 2 * i], ARGV[9 + 2 * i]
  local generation = redis.call('GET', KEYS[2 + 2 * i])
  if seen ~= '' and generation ~= seen then
    release(ARGV[7]) -- waiters look again, find nothing, and compute from what is there now
    return 0
  end
  if not generation then
    generation = ARGV[9]
    made[i] = true
  end
  stamps[i] = id .. generation
end

local entry = ARGV[2] .. string.char(count) .. table.concat(stamps) .. ARGV[3]
local stored
if ttl > 0 then stored = redis.pcall('SET', KEYS[1], entry, 'PX', ttl)
else stored = redis.pcall('SET', KEYS[1], entry) end
if type(stored) == 'table' and stored.err then
  release(ARGV[8])
  return redis.error_reply(stored.err)
end

for i = 1, count do
  local set, generation = KEYS[1 + 2 * i], KEYS[2 + 2 * i]
  if made[i] then redis.call('SET', generation, ARGV[9]) end
  outlive(generation, ttl, made[i])
  local new_set = redis.call('SADD', set, KEYS[1]) == 1 and redis.call('SCARD', set) == 1
  outlive(set, ttl, new_set)
end
release(ARGV[7])
return 1
