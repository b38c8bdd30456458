--[[
  Tidies what a vector-set query found dead, off the query's path (the query does not wait for it):
  each given id whose hash is gone (expired, evicted) leaves the vector set, the id set and the
  access stats; an id whose hash exists again (written since the query) is left alone. A scope
  whose vector set is gone while its id set remains lost its vectors: its items are gone, and are
  purged whole. Frees memory only, so it runs at maxmemory too (VREM, SREM, ZREM, UNLINK are not
  refused).

  KEYS[1]  the scope's id set
  KEYS[2]  the scope's vector set
  KEYS[3]  the scope's access counts
  KEYS[4]  the scope's access times
  ARGV[1]  the scope's item key prefix ('…:{tag}:i:')
  ARGV[2..] the ids a query saw without a hash (none: only the lost-vector-set check)

  Returns the number of ids purged (a purged scope counts its id set's ids).
]]
--- @include "vector-scope"

local prefix = ARGV[1]
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
  local listed = redis.call('SCARD', KEYS[1])
  purge_scope(prefix)
  return listed
end
local purged = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('EXISTS', prefix .. id) == 0 then
    redis.call('VREM', KEYS[2], id)
    redis.call('SREM', KEYS[1], id)
    forget_stats(id)
    purged = purged + 1
  end
end
return purged
