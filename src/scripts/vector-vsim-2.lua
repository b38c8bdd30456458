--[[
  A vector-set similarity query with the payloads (and, when asked, the vectors) of the hits, in
  one round trip. Hits whose item expired (hash gone) are dropped from the answer and purged from
  the vector set and id set.

  KEYS[1]  the scope's vector set
  KEYS[2]  the scope's id set
  ARGV[1]  the scope's item key prefix ('…:{tag}:i:')
  ARGV[2]  '1' to return each hit's vector (VEMB), '0' not to
  ARGV[3..] the VSIM arguments after the key (FP32 <blob> WITHSCORES COUNT k …)

  Returns { id, score, payload, … }, or { id, score, payload, { component… }, … } with vectors
]]

if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local args = { 'VSIM', KEYS[1] }
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
    if withVectors then out[#out + 1] = redis.call('VEMB', KEYS[1], id) end
  else
    redis.call('VREM', KEYS[1], id)
    redis.call('SREM', KEYS[2], id)
  end
end
return out
