--[[
  Stores the pending writes of one task against one checkpoint. A regular write (index >= 0) that
  is already stored is kept (the first one wins, so a retried task cannot change history); special
  writes (negative index: errors, interrupts) replace what is there. A task's writes are stored
  together or not at all, whether or not their checkpoint is stored yet (LangGraph may send them
  before the put of the checkpoint lands). A write index that disagrees with w (one of them was
  lost) is made to agree first. Refuses at maxmemory before its first write.

  KEYS[1..5]  ids, checkpoints, blobs, writes, write index (as in checkpoint-put-5)
  ARGV[1]  TTL in ms ('0': none)
  ARGV[2]  TTL mode: 'sliding' or 'fixed'
  ARGV[3..] field ('<ns hex>:<checkpoint id hex>:<task id hex>:<idx>'), value, '1' to replace or '0' to keep an existing one, …

  Returns the number of writes stored.
]]

--- @include "oom"
--- @include "checkpoint"
--- @include "checkpoint-thread"

refuse_if_oom(KEYS[4])
local first = redis.call('EXISTS', KEYS[1]) == 0
repair_write_index()
local stored = 0
for i = 3, #ARGV, 3 do
  local field = ARGV[i]
  if ARGV[i + 2] == '1' then
    redis.call('HSET', KEYS[4], field, ARGV[i + 1])
    stored = stored + 1
  else
    stored = stored + redis.call('HSETNX', KEYS[4], field, ARGV[i + 1])
  end
  redis.call('ZADD', KEYS[5], 0, field)
end
expire_thread(tonumber(ARGV[1]), ARGV[2], first)
return stored
