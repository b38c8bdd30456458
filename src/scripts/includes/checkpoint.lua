-- The TTL of a checkpoint thread: every key of the thread shares one deadline. 'sliding' moves it
-- to now + ttl; 'fixed' sets it when the thread starts and later keys inherit what remains.
-- 'refresh' (reads of a sliding thread) moves it only when it would move by at least
-- min(1% of the TTL, 1 s), so a thread read in a loop is not re-expired key by key every time.
local function expire_thread(ttl, mode, first)
  if ttl <= 0 then return end
  if mode == 'refresh' then
    local left = redis.call('PTTL', KEYS[1])
    if left >= 0 and ttl - left < math.min(ttl / 100, 1000) then return end
    mode = 'sliding'
  end
  local ms = ttl
  if mode == 'fixed' and not first then
    local left = redis.call('PTTL', KEYS[1])
    if left > 0 then ms = left end
  end
  for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], ms) end
end
