--[[
  Opens a session for a read: the first command of the read's MULTI, whose plain commands that
  follow (LRANGE, LLEN, HRANDFIELD…) fetch the data, so no data passes through Lua. It checks the
  session is whole and moves a sliding session's deadline on every key when due (PEXPIREAT: no
  memory needed, so it works at maxmemory). A session that is gone has its leftovers deleted and
  nothing created; the caller must then discard what the commands after it returned.

  KEYS and ARGV[1..4]: see includes/session.lua

  Returns { 0 } when the session is gone, else { 1, TTL mode, TTL ms, remaining TTL ms after this
  call (-1: none) }: what the caller needs to know until when a read has no deadline to move.
]]
--- @include "session"

local s = open_for_read()
if not s then return { 0 } end
return { 1, s.mode, s.ttl or 0, s.remaining }
