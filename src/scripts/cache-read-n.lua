--[[
  Reads an entry: the value if it is current (no tag of it invalidated since it was written),
  moving a sliding TTL in the same call (and its tag keys'). The cache reads an entry that records
  no tags with a plain GET or GETEX instead (cache.ts): this script is for tagged entries, and for
  a getOrCompute that needs the generations of the tags it would store a value with.

  KEYS[1]   the entry
  KEYS[2..] generation keys of the tags a getOrCompute would store a new value with (same shard):
            their generations are returned (made when missing) for a recomputation started from
            this read (stale-while-revalidate, XFetch, or a miss without a lock)
  ARGV[1]   the shard's generation key prefix ('…:g:'; a tag id completes it)
  ARGV[2]   the shard's tag set key prefix ('…:t:')
  ARGV[3]   sliding TTL in ms, or 0 when a hit does not move the deadline
  ARGV[4]   a new random generation, for KEYS[2..] that have none
  ARGV[5]   TTL in ms of a generation key made here, or 0 for none

  Returns { entry or false, generation of KEYS[2] or false, … } (false: it could not be made).
  At maxmemory this still reads: making a generation is the only write Redis refuses there, and
  it is tried (pcall) before any other write; UNLINK and PEXPIRE are allowed at the limit.
]]
--- @include "cache"

local entry = redis.call('GET', KEYS[1])
local tags = {}
local stale = false
if entry then
  tags = entry_tags(entry)
  stale = not tags_current(tags, ARGV[1])
end
local generations = generations_of(2, ARGV[4], ARGV[5])

if stale then
  redis.call('UNLINK', KEYS[1]) -- invalidated: it can never be served again
  entry = false
elseif entry and ARGV[3] ~= '0' then
  local ttl = tonumber(ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ttl)
  for _, tag in ipairs(tags) do
    outlive(ARGV[1] .. tag[1], ttl)
    outlive(ARGV[2] .. tag[1], ttl)
  end
end
return { entry, unpack(generations) }
