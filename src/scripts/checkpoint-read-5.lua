--[[
  Reads checkpoints of a thread, newest first, each with the channel values its record lists and
  its pending writes. One round trip for getTuple and for each page of list. A thread that is gone
  (it lost one of ids, cps, blobs: see includes/checkpoint-thread.lua) reads as empty, whatever
  the query, and what is left of it is deleted (UNLINK: no memory needed). Pending writes come
  from w alone (through wi while wi is there).

  KEYS[1..5]  ids, checkpoints, blobs, writes, write index (as in checkpoint-put-5)
  ARGV[1]  namespace hex, or '*' for every namespace of the thread
  ARGV[2]  checkpoint id hex: only this checkpoint ('' for any)
  ARGV[3]  checkpoint id hex: only checkpoints before this one ('' for no bound)
  ARGV[4]  how many members of the id set to skip (paging)
  ARGV[5]  how many members of the id set to examine
  ARGV[6]  TTL in ms to refresh when something was found ('0': none; only for sliding TTLs;
           moved only when it would move by at least min(1% of the TTL, 1 s))

  A record is '<json head>\n<bytes>'; the head's 'b' lists the blob fields of its channel values
  (a field the caller never stored a value for is simply not returned).
  Returns { examined, member, record, { blob field, value, … }, { write, … }, member, … }.
]]

--- @include "checkpoint"
--- @include "checkpoint-thread"

local state = thread_state()
if state ~= 'live' then
  if state == 'broken' then drop_thread_keys() end
  return { 0 }
end

local ns, only, before = ARGV[1], ARGV[2], ARGV[3]
local members
if ns ~= '*' and only ~= '' then
  members = { ns .. ':' .. only }
elseif ns ~= '*' then
  local high = before ~= '' and ('(' .. ns .. ':' .. before) or ('[' .. ns .. ';')
  members = redis.call('ZRANGE', KEYS[1], high, '[' .. ns .. ':', 'BYLEX', 'REV', 'LIMIT', ARGV[4], ARGV[5])
else
  members = redis.call('ZRANGE', KEYS[1], '+', '-', 'BYLEX', 'REV', 'LIMIT', ARGV[4], ARGV[5])
end

local write_fields = write_fields_reader()
local out = { #members }
for _, member in ipairs(members) do
  local id = string.match(member, ':(.*)$')
  if (only == '' or id == only) and (before == '' or id < before) then
    local record = redis.call('HGET', KEYS[2], member)
    if record then
      local head = record_head(record)
      local blobs = {}
      if #head.b > 0 then
        local values = redis.call('HMGET', KEYS[3], unpack(head.b))
        for i, field in ipairs(head.b) do
          if values[i] then
            blobs[#blobs + 1] = field
            blobs[#blobs + 1] = values[i]
          end
        end
      end
      local writes = {}
      local fields = write_fields(member)
      if #fields > 0 then writes = redis.call('HMGET', KEYS[4], unpack(fields)) end
      out[#out + 1] = member
      out[#out + 1] = record
      out[#out + 1] = blobs
      out[#out + 1] = writes
    end
  end
end
if #out > 1 and tonumber(ARGV[6]) > 0 then expire_thread(tonumber(ARGV[6]), 'refresh', false) end
return out
