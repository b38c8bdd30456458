--[[
  Reads any part of a session in one round trip, and refreshes a sliding session's TTL on every
  key. Reading a session that does not exist creates nothing. Reads normally go as a MULTI of
  session-open-7 and plain commands (no data through Lua); this script is the read at maxmemory
  on a server that refuses to queue commands in a MULTI there (Redis 7.0).

  KEYS and ARGV[1..4]: see includes/session.lua
  ARGV[5]  first message index (LRANGE semantics, negative from the end), or '' for no messages
  ARGV[6]  last message index
  ARGV[7]  '1' to return the metadata hash
  ARGV[8]  '1' to return the reasoning state hash
  ARGV[9]  tool call id to return, '*' for all tool results, '' for none
  ARGV[10] '1' to return the messages waiting to be summarized

  Returns { exists (0|1), messages, length, meta (flat hash), remaining TTL ms (-1: none; only
            with meta), state (flat hash), tool results (flat hash), pending messages }
]]
--- @include "session"

if not open_for_read() then return { 0 } end
local messages = {}
if ARGV[5] ~= '' then messages = redis.call('LRANGE', KEYS[1], ARGV[5], ARGV[6]) end
local meta, pttl, state, tools, pending = {}, -1, {}, {}, {}
if ARGV[7] == '1' then
  meta = redis.call('HGETALL', KEYS[2])
  pttl = redis.call('PTTL', KEYS[2])
end
if ARGV[8] == '1' then state = redis.call('HGETALL', KEYS[3]) end
if ARGV[9] == '*' then
  tools = redis.call('HGETALL', KEYS[4])
elseif ARGV[9] ~= '' then
  local value = redis.call('HGET', KEYS[4], ARGV[9])
  if value then tools = { ARGV[9], value } end
end
if ARGV[10] == '1' then pending = redis.call('LRANGE', KEYS[6], 0, -1) end
return { 1, messages, redis.call('LLEN', KEYS[1]), meta, pttl, state, tools, pending }
