--[[
  Reads the given fields of every live item of a scope (see includes/vector-scope.lua for what
  live means per engine), and tidies up on the way: ids whose hash is gone (expired, evicted)
  leave the id set, the vector set and the access stats; on vectorset a lost id set is rebuilt
  from the vector set, hashes the vector set does not hold are deleted, and a scope whose vector
  set is gone is purged whole. Deletions only, except the id set repair (SADD), which is let go
  at maxmemory: the vector set still answers.

  KEYS[1]  the scope's id set
  KEYS[2]  the scope's vector set (read only when ARGV[2] is '1')
  KEYS[3]  the scope's access counts
  KEYS[4]  the scope's access times
  ARGV[1]  the scope's item key prefix ('…:{tag}:i:')
  ARGV[2]  '1' when the engine keeps a vector set (vectorset), '0' otherwise
  ARGV[3..] the hash fields to read

  Returns { id, field values…, id, field values…, … }
]]
--- @include "vector-scope"

local prefix, by_set = ARGV[1], ARGV[2] == '1'
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
local out = {}

local function emit(id, key)
  out[#out + 1] = id
  if #fields > 0 then
    local values = redis.call('HMGET', key, unpack(fields))
    for j = 1, #fields do out[#out + 1] = values[j] or false end
  end
end

if not by_set then
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    local key = prefix .. id
    if redis.call('EXISTS', key) == 0 then
      redis.call('SREM', KEYS[1], id)
      forget_stats(id)
    else
      emit(id, key)
    end
  end
  return out
end

if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 1 then purge_scope(prefix) end
  return out
end
local listed = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do listed[id] = true end
local held = {}
for _, id in ipairs(vector_set_members()) do
  held[id] = true
  local key = prefix .. id
  if redis.call('EXISTS', key) == 0 then
    redis.call('VREM', KEYS[2], id)
    redis.call('SREM', KEYS[1], id)
    forget_stats(id)
  else
    emit(id, key)
    if not listed[id] then redis.pcall('SADD', KEYS[1], id) end
  end
end
for id in pairs(listed) do
  if not held[id] then
    redis.call('UNLINK', prefix .. id)
    redis.call('SREM', KEYS[1], id)
    forget_stats(id)
  end
end
return out
