--[[
  After a miss: returns the entry if another caller stored it meanwhile (and it is current), else
  tries to take the stampede lock. One round trip, so no fill can slip between the look and the
  lock. With the lock, returns the generations of the tags the value will be stored with, read
  now, just before it is computed.

  KEYS[1]   the entry
  KEYS[2]   its stampede lock
  KEYS[3..] generation keys of the tags the value will be stored with (same shard)
  ARGV[1]   this caller's lock token
  ARGV[2]   lock TTL in ms
  ARGV[3]   the shard's generation key prefix ('…:g:')
  ARGV[4]   a new random generation, for KEYS[3..] that have none
  ARGV[5]   TTL in ms of a generation key made here, or 0 for none

  Returns { entry or false, 1 when the lock was taken else 0, generation of KEYS[3] or false, … }.
  At maxmemory the lock is refused with Redis's OOM error before anything is written (its SET is
  the first write).
]]
--- @include "cache"

local entry = redis.call('GET', KEYS[1])
if entry and tags_current(entry_tags(entry), ARGV[3]) then return { entry, 0 } end
local locked = redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2])
if entry then redis.call('UNLINK', KEYS[1]) end -- invalidated: it can never be served again
if not locked then return { false, 0 } end
return { false, 1, unpack(generations_of(3, ARGV[4], ARGV[5])) }
