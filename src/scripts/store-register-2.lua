--[[
  Registers a namespace of a document store around the commit of a write (store-write-4.lua),
  in three steps, so that a listing that found the namespace empty just before the commit cannot
  unregister it after (store-unregister-2.lua removes an entry only if its generation is the one
  the listing read):
  'begin'  before the commit: registers the path and gives it a fresh generation (the token).
  'commit' after the commit: clears the generation if it is still the token (so a listing that
           read it cannot remove the entry), and registers the path again if a listing removed it
           in between. Its first write is a deletion, so it goes through at maxmemory.
  'abort'  when the commit was refused: puts the registry back as 'begin' found it, if no one
           changed the generation since.

  KEYS[1]  the registry (sorted set of encoded paths, scores 0)
  KEYS[2]  the generations (hash: encoded path -> generation token)
  ARGV[1]  'begin' | 'commit' | 'abort'
  ARGV[2]  the encoded path
  ARGV[3]  the token
  ARGV[4]  'abort': '1' when 'begin' added the path
  ARGV[5]  'abort': the generation 'begin' found ('' none)

  Returns 'begin': { 1 when the path was added, the generation found before ('' none) };
  'commit': 1 when the path had to be registered again, else 0; 'abort': 1 when put back, else 0.
  Errors: Redis's OOM error, before anything changed, on 'begin' at maxmemory.
]]
--- @include "oom"

local mode, path, token = ARGV[1], ARGV[2], ARGV[3]
if mode == 'begin' then
  refuse_if_oom(KEYS[2])
  local before = redis.call('HGET', KEYS[2], path) or ''
  local added = redis.call('ZADD', KEYS[1], 0, path)
  redis.call('HSET', KEYS[2], path, token)
  return { added, before }
end
local mine = redis.call('HGET', KEYS[2], path) == token
if mode == 'commit' then
  if mine then redis.call('HDEL', KEYS[2], path) end
  if redis.call('ZSCORE', KEYS[1], path) then return 0 end
  redis.call('ZADD', KEYS[1], 0, path)
  return 1
end
if not mine then return 0 end
-- The deletions come first, so that restoring the old generation goes through at maxmemory.
redis.call('HDEL', KEYS[2], path)
if ARGV[4] == '1' then redis.call('ZREM', KEYS[1], path) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], path, ARGV[5]) end
return 1
