--[[
  Rebuilds a user's session index from the sessions found by a SCAN of their keys (eviction can
  take the index while its sessions live on) and marks it complete with the member ''.

  KEYS[1]  the user's session index
  ARGV[1]  the key prefix of the user's sessions, e.g. 'am:{t:u}:s:' (same hash tag as KEYS[1])
  ARGV[2]  TTL in ms of an index with no session (so that a user who only lists is not scanned
           again soon, and leaves nothing behind for long)
  ARGV[3..] the session ids found

  Returns the number of live sessions indexed.
]]
--- @include "oom"

refuse_if_oom(KEYS[1])
local found, forever, longest = 0, false, tonumber(ARGV[2])
for i = 3, #ARGV do
  local meta_key = ARGV[1] .. ARGV[i] .. ':meta'
  local updated = redis.call('HGET', meta_key, 'updated')
  if updated then
    found = found + 1
    redis.call('ZADD', KEYS[1], updated, ARGV[i])
    local pttl = redis.call('PTTL', meta_key)
    if pttl == -1 then forever = true elseif pttl > longest then longest = pttl end
  end
end
redis.call('ZADD', KEYS[1], 0, '')
if forever then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], longest) end
return found
