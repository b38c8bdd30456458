--[[
  Stores one checkpoint of a thread: its record, the channel values that changed, and the
  thread's TTL. Every key of the thread gets the same deadline. A thread that is gone (it lost one
  of ids, cps, blobs: see includes/checkpoint-thread.lua) starts anew: its leftovers are deleted
  first. Refuses at maxmemory before its first write.

  KEYS[1]  ids (sorted set of '<ns>:<id>' members)      KEYS[4]  writes (hash)
  KEYS[2]  checkpoints (hash)                           KEYS[5]  write index (sorted set)
  KEYS[3]  blobs (hash)
  ARGV[1]  member '<ns hex>:<checkpoint id hex>'
  ARGV[2]  the checkpoint record ('<json head>\n<bytes>'; head.p the parent id or null, head.b its blob fields)
  ARGV[3]  TTL in ms ('0': none)
  ARGV[4]  TTL mode: 'sliding' (every write and read moves it) or 'fixed' (set when the thread starts)
  ARGV[5..] blob field, value, field, value, …

  Returns 1 when the thread starts with this checkpoint (the caller registers the thread), else 0.
  Errors: OOM (at maxmemory, nothing written); AM_CONFLICT when the thread is gone and the
  checkpoint continues a parent whose channel values it does not carry (they went with the thread:
  storing it would serve a state missing them); nothing is written.
]]

--- @include "oom"
--- @include "checkpoint"
--- @include "checkpoint-thread"

refuse_if_oom(KEYS[1])
local state = thread_state()
local first = state ~= 'live'
if first then
  local head = record_head(ARGV[2])
  if head.p ~= cjson.null and head.p ~= nil and #head.b > 0 then
    local carried = {}
    for i = 5, #ARGV, 2 do carried[ARGV[i]] = true end
    for _, field in ipairs(head.b) do
      if not carried[field] then
        return redis.error_reply('AM_CONFLICT this checkpoint continues ' .. head.p .. ', but the thread is gone (evicted, expired or deleted) with the channel values the checkpoint relies on; read the thread again and start from what it holds')
      end
    end
  end
  if state == 'broken' then drop_thread_keys() end
end
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], THREAD_MARK, '1', unpack(ARGV, 5))
expire_thread(tonumber(ARGV[3]), ARGV[4], first)
if first then return 1 end
return 0
