--[[
  A vector-set similarity query with the payloads (and, when asked, the vectors) of the hits, in
  one round trip. Hits whose item expired (hash gone) are dropped from the answer and purged from
  the vector set, the id set and the access stats. A scope whose vector set is gone while its id
  set remains lost its vectors: its items are gone, and are purged here (an O(1) EXISTS on the
  common path).

  KEYS[1]  the scope's id set
  KEYS[2]  the scope's vector set
  KEYS[3]  the scope's access counts
  KEYS[4]  the scope's access times
  ARGV[1]  the scope's item key prefix ('…:{tag}:i:')
  ARGV[2]  '1' to return each hit's vector (VEMB), '0' not to
  ARGV[3..] the VSIM arguments after the key (FP32 <blob> WITHSCORES COUNT k …)

  Returns { id, score, payload, … }, or { id, score, payload, { component… }, … } with vectors
]]
--- @include "vector-scope"

if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 1 then purge_scope(ARGV[1]) end
  return {}
end
local args = { 'VSIM', KEYS[2] }
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
local reply = redis.call(unpack(args))
local withVectors = ARGV[2] == '1'
local out = {}
for i = 1, #reply, 2 do
  local id = reply[i]
  local payload = redis.call('HGET', ARGV[1] .. id, 'p')
  if payload then
    out[#out + 1] = id
    out[#out + 1] = reply[i + 1]
    out[#out + 1] = payload
    if withVectors then out[#out + 1] = redis.call('VEMB', KEYS[2], id) end
  else
    redis.call('VREM', KEYS[2], id)
    redis.call('SREM', KEYS[1], id)
    forget_stats(id)
  end
end
return out
