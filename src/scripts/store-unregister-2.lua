--[[
  Removes namespaces found empty from a document store's registry, each only if it was not
  registered again since its generation was read (a writer re-registers after it fills one).

  KEYS[1]  the registry (sorted set of encoded paths)
  KEYS[2]  the generations (hash: encoded path -> registration count)
  ARGV     pairs: encoded path, generation read before the namespace was found empty ('' none)

  Returns the number of namespaces removed.
]]

local removed = 0
for i = 1, #ARGV, 2 do
  local path, seen = ARGV[i], ARGV[i + 1]
  if (redis.call('HGET', KEYS[2], path) or '') == seen then
    removed = removed + redis.call('ZREM', KEYS[1], path)
    redis.call('HDEL', KEYS[2], path)
  end
end
return removed
