--[[
  Deletes all but the newest checkpoints of each namespace of a thread (or of one namespace), with
  their pending writes and the channel values no kept checkpoint refers to. The oldest kept
  checkpoint keeps its parent id: history simply ends there. Only deletes (so it runs at
  maxmemory too): a thread that is gone (see includes/checkpoint-thread.lua) has what is left of
  it deleted, and a lost write index is read around (w's own fields), not rebuilt.

  KEYS[1..5]  ids, checkpoints, blobs, writes, write index (as in checkpoint-put-5)
  ARGV[1]  namespace hex, or '*' for every namespace of the thread
  ARGV[2]  how many checkpoints to keep per namespace (>= 1)

  Returns the number of checkpoints deleted (0 for a thread that is gone).
]]

--- @include "checkpoint-thread"

local state = thread_state()
if state ~= 'live' then
  if state == 'broken' then drop_thread_keys() end
  return 0
end

local ns, keep = ARGV[1], tonumber(ARGV[2])
local members
if ns == '*' then
  members = redis.call('ZRANGE', KEYS[1], '-', '+', 'BYLEX')
else
  members = redis.call('ZRANGE', KEYS[1], '[' .. ns .. ':', '[' .. ns .. ';', 'BYLEX')
end

-- Members sort by namespace, then checkpoint id: the last `keep` of each namespace stay.
local namespace_of = function(member) return string.match(member, '^([^:]*):') end
local total = {}
for _, member in ipairs(members) do
  local n = namespace_of(member)
  total[n] = (total[n] or 0) + 1
end
local seen, kept_blobs, pruned = {}, {}, {}
local blobs_of = function(member)
  local record = redis.call('HGET', KEYS[2], member)
  if not record then return {} end
  return record_head(record).b
end
for _, member in ipairs(members) do
  local n = namespace_of(member)
  seen[n] = (seen[n] or 0) + 1
  if seen[n] > total[n] - keep then
    for _, field in ipairs(blobs_of(member)) do kept_blobs[field] = true end
  else
    pruned[#pruned + 1] = member
  end
end

local function in_batches(command, key, list)
  for i = 1, #list, 1000 do
    redis.call(command, key, unpack(list, i, math.min(i + 999, #list)))
  end
end
local write_fields = write_fields_reader()
local dead_blobs, dead_writes, listed = {}, {}, {}
for _, member in ipairs(pruned) do
  for _, field in ipairs(blobs_of(member)) do
    if not kept_blobs[field] and not listed[field] then
      listed[field] = true
      dead_blobs[#dead_blobs + 1] = field
    end
  end
  for _, field in ipairs(write_fields(member)) do
    dead_writes[#dead_writes + 1] = field
  end
end
if #pruned > 0 then
  in_batches('ZREM', KEYS[1], pruned)
  in_batches('HDEL', KEYS[2], pruned)
end
if #dead_blobs > 0 then in_batches('HDEL', KEYS[3], dead_blobs) end
if #dead_writes > 0 then
  in_batches('HDEL', KEYS[4], dead_writes)
  in_batches('ZREM', KEYS[5], dead_writes)
end
return #pruned
