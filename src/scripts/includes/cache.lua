-- Shared by the cache scripts; included with `--- @include "cache"`.
-- Tag invalidation by generations. An entry (envelope.ts, version 3) records, for each tag it was
-- written with, the tag's generation at that moment: byte 1 holds the version in its upper seven
-- bits, byte 14 the number of tags, then 44 bytes a tag, its id (22) and generation (22). A tag's
-- generation key (in the entry's shard) holds the current generation: invalidating the tag deletes
-- it, and the next write with the tag makes a new random one. So an entry is current only while
-- every one of its tags' generation keys holds what it recorded; a lost generation key (evicted,
-- deleted) turns its entries into misses and can never bring one back. The tag sets only let an
-- invalidation delete the entries at once (and count them); losing one loses nothing else.
-- Entries of versions 1 and 2 record no tags: they are current, and only their tag sets name them.

local TAG_BYTES = 44

-- The tags an entry records, as { id, generation } pairs (none for older versions).
local function entry_tags(entry)
  local tags = {}
  if #entry < 14 or math.floor(string.byte(entry, 1) / 2) ~= 3 then return tags end
  for i = 0, string.byte(entry, 14) - 1 do
    local at = 15 + i * TAG_BYTES
    tags[#tags + 1] = { string.sub(entry, at, at + 21), string.sub(entry, at + 22, at + 43) }
  end
  return tags
end

-- True when each tag's generation key (generation_prefix .. id: same hash tag as the entry, so the
-- same slot) still holds the generation the entry recorded.
local function tags_current(tags, generation_prefix)
  for _, tag in ipairs(tags) do
    if redis.call('GET', generation_prefix .. tag[1]) ~= tag[2] then return false end
  end
  return true
end

-- Gives `key` at least `ttl` ms to live (0: no TTL), never less than it has. `new`: the key was
-- just made by this script, so it has no TTL yet.
local function outlive(key, ttl, new)
  if ttl == 0 then
    redis.call('PERSIST', key)
  elseif new then
    redis.call('PEXPIRE', key, ttl)
  else
    local pttl = redis.call('PTTL', key)
    if pttl >= 0 and pttl < ttl then redis.call('PEXPIRE', key, ttl) end
  end
end

-- The generation of each of KEYS[from..] (generation keys), made when missing (new_generation,
-- living `ttl` ms, '0': no TTL), so that a value computed next can be checked against them when
-- it is stored. False where one could not be made: Redis at maxmemory refuses the SET (pcall), and
-- nothing is written.
local function generations_of(from, new_generation, ttl)
  local out = {}
  for i = from, #KEYS do
    local generation = redis.call('GET', KEYS[i])
    if not generation then
      local made
      if ttl == '0' then made = redis.pcall('SET', KEYS[i], new_generation, 'NX')
      else made = redis.pcall('SET', KEYS[i], new_generation, 'NX', 'PX', ttl) end
      generation = not (type(made) == 'table' and made.err) and new_generation
    end
    out[#out + 1] = generation
  end
  return out
end
