--[[
  After a miss: returns the entry if another caller stored it meanwhile, else tries to take the
  stampede lock. One round trip, so no fill can slip between the look and the lock.

  KEYS[1]  the entry
  KEYS[2]  its stampede lock
  ARGV[1]  this caller's lock token
  ARGV[2]  lock TTL in ms

  Returns { entry or false, 1 when the lock was taken else 0 }
]]

local entry = redis.call('GET', KEYS[1])
if entry then return { entry, 0 } end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return { false, 1 } end
return { false, 0 }
