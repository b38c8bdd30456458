--[[
  Reads the given fields of every live item of a scope, and purges the ids of items that expired
  (their hash is gone) from the id set and, for the vectorset engine, from the vector set.

  KEYS[1]  the scope's id set
  KEYS[2]  the scope's vector set (touched only when ARGV[2] is '1')
  ARGV[1]  the scope's item key prefix ('…:{tag}:i:')
  ARGV[2]  '1' when the engine keeps a vector set
  ARGV[3..] the hash fields to read

  Returns { id, field values…, id, field values…, … }
]]

local out = {}
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. id
  if redis.call('EXISTS', key) == 0 then
    redis.call('SREM', KEYS[1], id)
    if ARGV[2] == '1' then redis.call('VREM', KEYS[2], id) end
  else
    out[#out + 1] = id
    if #fields > 0 then
      local values = redis.call('HMGET', key, unpack(fields))
      for j = 1, #fields do out[#out + 1] = values[j] or false end
    end
  end
end
return out
