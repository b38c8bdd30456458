--[[
  A lease: one holder at a time across processes (a tiered refresh, a sync), held by a random
  token and lost by itself when its holder dies (the key's TTL). Only its holder renews or
  releases it, so a holder that stalled past its TTL can never release another's lease.

  KEYS[1]  the lease
  ARGV[1]  'take', 'renew' or 'release'
  ARGV[2]  the holder's token
  ARGV[3]  the lease's TTL in ms (take, renew)

  Returns 1 when done (taken, renewed, released), 0 when not (held by another, or no longer this
  holder's).
]]
local op, token = ARGV[1], ARGV[2]
if op == 'take' then
  return redis.call('SET', KEYS[1], token, 'NX', 'PX', ARGV[3]) and 1 or 0
end
if redis.call('GET', KEYS[1]) ~= token then return 0 end
if op == 'renew' then return redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
if op == 'release' then return redis.call('DEL', KEYS[1]) end
return redis.error_reply('AM_INVALID lease operation: ' .. op)
