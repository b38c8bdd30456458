--[[
  Opens a session for a read: the first command of the read's MULTI, whose plain commands that
  follow (LRANGE, LLEN, HGETALL…) fetch the data, so no data passes through Lua. It checks the
  session is whole and moves a sliding session's deadline on every key when due (PEXPIREAT: no
  memory needed, so it works at maxmemory). A session that is gone has its leftovers deleted and
  nothing created; the caller must then discard what the commands after it returned.

  KEYS and ARGV[1..4]: see includes/session.lua

  Returns 1 when the session is whole, 0 when it is gone.
]]
--- @include "session"

if open_for_read() then return 1 end
return 0
