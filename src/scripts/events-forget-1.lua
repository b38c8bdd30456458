--[[
  Removes one user's events from an event stream (a partition, or a dead-letter stream), and from
  the pending list of every consumer group of that stream, so no consumer is handed them again.

  KEYS[1]  the stream
  ARGV[1]  tenant, ARGV[2] user id

  Returns how many entries were removed. Costs one pass over the stream (it is capped).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local groups = {}
for _, info in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  for i = 1, #info, 2 do
    if info[i] == 'name' then groups[#groups + 1] = info[i + 1] end
  end
end
local removed, from = 0, '-'
while true do
  local entries = redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', 1000)
  if #entries == 0 then break end
  local ids = {}
  for _, entry in ipairs(entries) do
    local fields, tenant, user = entry[2], nil, nil
    for i = 1, #fields, 2 do
      if fields[i] == 'tenant' then tenant = fields[i + 1] elseif fields[i] == 'user' then user = fields[i + 1] end
    end
    if tenant == ARGV[1] and user == ARGV[2] then ids[#ids + 1] = entry[1] end
  end
  if #ids > 0 then
    for _, group in ipairs(groups) do redis.call('XACK', KEYS[1], group, unpack(ids)) end
    removed = removed + redis.call('XDEL', KEYS[1], unpack(ids))
  end
  if #entries < 1000 then break end
  from = '(' .. entries[#entries][1]
end
return removed
