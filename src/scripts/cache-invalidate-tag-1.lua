--[[
  Deletes every entry carrying a tag in one shard, and the tag set itself.

  KEYS[1]  the tag set (its members are entry keys of the same shard, so the same slot)

  Returns the number of entries deleted.
]]

local members = redis.call('SMEMBERS', KEYS[1])
local deleted = 0
for i = 1, #members, 500 do
  deleted = deleted + redis.call('UNLINK', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('UNLINK', KEYS[1])
return deleted
