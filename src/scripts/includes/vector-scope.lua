-- Shared by the vector scope scripts; included with `--- @include "vector-scope"`. Every such
-- script declares KEYS[1] the id set, KEYS[2] the vector set, KEYS[3] the access counts and
-- KEYS[4] the access times of one scope, and reaches item hashes as ARGV[1] .. id: the item key
-- prefix carries the scope's hash tag, so they live in the declared keys' slot.
--
-- Membership (which items are live), one rule per engine, given by `by_set`:
--   vectorset (by_set): an item is live when it is a member of the vector set and its hash exists.
--     The id set only lists hashes that may exist: a lost one is rebuilt from the vector set; a
--     lost vector set means the vectors are gone, so the scope's items are gone and are purged.
--   flat, redisearch: an item is live when it is in the id set and its hash exists. A hash the id
--     set lost is not live (get returns null); it leaves with its TTL, eviction or forgetUser.

local function forget_stats(id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
end

-- Whether item `id` is live under the engine's rule.
local function is_live(prefix, by_set, id)
  local member
  if by_set then member = redis.call('VISMEMBER', KEYS[2], id) else member = redis.call('SISMEMBER', KEYS[1], id) end
  return member == 1 and redis.call('EXISTS', prefix .. id) == 1
end

-- Every member of the vector set (VRANDMEMBER with a count at least VCARD returns them all).
local function vector_set_members()
  local card = redis.call('VCARD', KEYS[2])
  if card == 0 then return {} end
  return redis.call('VRANDMEMBER', KEYS[2], card)
end

-- Deletes every key of a scope whose vector set is gone: the hashes its id set lists, the id set
-- and the access stats. Frees memory only, so it runs at maxmemory too.
local function purge_scope(prefix)
  local ids = redis.call('SMEMBERS', KEYS[1])
  for i = 1, #ids, 500 do
    local batch = {}
    for j = i, math.min(i + 499, #ids) do batch[#batch + 1] = prefix .. ids[j] end
    redis.call('UNLINK', unpack(batch))
  end
  redis.call('UNLINK', KEYS[1], KEYS[3], KEYS[4])
end
