-- Whole or gone for a checkpoint thread; included with `--- @include "checkpoint-thread"` (after
-- "oom" where a script writes). KEYS: 1 ids, 2 cps, 3 blobs, 4 writes, 5 write index.
--
-- Redis evicts key by key. The rule per key kind:
-- - ids, cps, blobs hold the history: a thread is live only while all three exist (every put
--   writes a marker field into blobs, so a live thread always has it, values or not). A thread
--   missing one or two of them is gone: reads serve nothing of it (and drop what is left, writes
--   included; UNLINK needs no memory), and the next put starts it anew, never mixing leftovers
--   with new data. Without any of the three there is no history, but w and wi may hold writes:
--   LangGraph may store a task's writes before the put of their checkpoint lands, so those stay.
-- - w (writes) is the one truth of pending writes; wi is only an index of w's fields. w lost: every
--   pending write of the thread is gone at once, each task's whole (LangGraph re-runs a task
--   without writes, which is safe). wi lost: nothing is; reads list w's fields themselves, and the
--   next write rebuilds wi from w. wi without w indexes nothing and goes with the next write.

-- The field of blobs that marks a live thread (blob fields are '<hex>:<hex>:<hex>': never '.').
local THREAD_MARK = '.'

-- 'live', 'none' (no key of the history: a new thread, or one whose history went whole) or
-- 'broken' (part of the history is left: the thread is gone).
local function thread_state()
  local history = redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3])
  if history == 3 then return 'live' end
  if history == 0 then return 'none' end
  return 'broken'
end

local function drop_thread_keys()
  redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
end

-- A reader of pending writes by checkpoint member: through wi while it is there, else from w's
-- own fields (one HKEYS, on the first call only). Writes nothing.
local function write_fields_reader()
  local has_w = redis.call('EXISTS', KEYS[4]) == 1
  local has_wi = has_w and redis.call('EXISTS', KEYS[5]) == 1
  local all
  return function(member)
    if not has_w then return {} end
    if has_wi then return redis.call('ZRANGE', KEYS[5], '[' .. member .. ':', '(' .. member .. ';', 'BYLEX') end
    all = all or redis.call('HKEYS', KEYS[4])
    local prefix, found = member .. ':', {}
    for _, field in ipairs(all) do
      if string.sub(field, 1, #prefix) == prefix then found[#found + 1] = field end
    end
    table.sort(found)
    return found
  end
end

-- For writes (after refuse_if_oom): makes wi agree with w again when one of them was lost.
local function repair_write_index()
  local has_w = redis.call('EXISTS', KEYS[4]) == 1
  local has_wi = redis.call('EXISTS', KEYS[5]) == 1
  if has_wi and not has_w then
    redis.call('UNLINK', KEYS[5])
  elseif has_w and not has_wi then
    local fields = redis.call('HKEYS', KEYS[4])
    for i = 1, #fields, 1000 do
      local batch = {}
      for j = i, math.min(i + 999, #fields) do
        batch[#batch + 1] = 0
        batch[#batch + 1] = fields[j]
      end
      redis.call('ZADD', KEYS[5], unpack(batch))
    end
  end
end

-- The head of a record '<json head>\n<bytes>'.
local function record_head(record)
  return cjson.decode(string.sub(record, 1, string.find(record, '\n', 1, true) - 1))
end
