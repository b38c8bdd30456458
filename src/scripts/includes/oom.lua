-- Shared by every script that adds data; included with `--- @include "oom"`.
-- Redis checks maxmemory inside a script only on the script's first write: once a script has
-- written anything (a DEL, a PEXPIRE), later writes go through even past the limit, and a script
-- that fails half-way has already changed the data. So every such script calls refuse_if_oom
-- before its first write: it runs a command that Redis refuses at the limit (LPUSHX, flagged
-- denyoom) on a key that is never a list, so it changes nothing when memory is there (the key is
-- absent: 0; it holds another type: WRONGTYPE, ignored) and raises Redis's OOM error when not.

local function refuse_if_oom(key)
  local reply = redis.pcall('LPUSHX', key, '')
  if type(reply) == 'table' and reply.err and string.sub(reply.err, 1, 3) == 'OOM' then
    error(reply, 0)
  end
end
