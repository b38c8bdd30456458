--[[
  Deletes every session of one user: each session's keys, then the index.

  KEYS[1]  the user's session index
  ARGV[1]  the key prefix of the user's sessions, e.g. 'am:{t:u}:s:' (same hash tag as KEYS[1])
  ARGV[2..] the key suffixes of one session (':msgs', ':meta', ...)

  Returns the number of sessions deleted.
]]

local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  for i = 2, #ARGV do redis.call('UNLINK', ARGV[1] .. id .. ARGV[i]) end
end
redis.call('UNLINK', KEYS[1])
return #ids
