/**
 * The group's transitions in Redis. A group is one hash (Keys.group): `v` its version, `meta`,
 * `m:<fp>` per member, `g:<fp>` per member gone. Each transition is decided in TypeScript on what
 * was read (src/grouping/group-state.ts) and written by one of these scripts only if the version
 * is still the one read; otherwise the caller reads and decides again. A decision therefore never
 * lands on a state it did not see, whichever worker (or a rerun of the same job, or a command
 * that ioredis sent again after a lost answer) wrote in between.
 */

/**
 * Writes the fields of a change: `i` points at the count of fields to set in ARGV; returns the
 * index just past the change's arguments. `past` finds that index without writing.
 */
const APPLY = `
local function past(i)
  local dels = i + 1 + 2 * tonumber(ARGV[i])
  return dels + 1 + tonumber(ARGV[dels])
end
local function apply(key, i)
  local sets = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, sets do
    redis.call('HSET', key, ARGV[i], ARGV[i + 1])
    i = i + 2
  end
  local dels = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, dels do
    redis.call('HDEL', key, ARGV[i])
    i = i + 1
  end
  return i
end
local function keep(key, ttl)
  if tonumber(ttl) > 0 then redis.call('EXPIRE', key, ttl) else redis.call('PERSIST', key) end
end
`;

/**
 * Flush `seq` of the group: the message it tells and the members it lets go.
 * KEYS: group hash, flush result (Keys.groupFlush)
 * ARGV: version read, TTL of the group (s; 0: none), TTL of the result (s), result JSON,
 *       meta JSON ('' when the flush changes nothing),
 *       count of fields to set, then (field, value) pairs, count of fields to delete, then fields
 * Returns {1, result} once applied; {0, result} when this flush ran before (the result stored
 * then: a rerun sends the same message); {-1} when the group changed since it was read.
 */
export const GROUP_FLUSH_LUA = `${APPLY}
local done = redis.call('GET', KEYS[2])
if done then return {0, done} end
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return {-1} end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'v', v + 1, 'meta', ARGV[5])
  apply(KEYS[1], 6)
  keep(KEYS[1], ARGV[2])
end
redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[3])
return {1, ARGV[4]}
`;

/**
 * Notifications join their groups, several groups of one receiver in one call; for a group whose
 * flush ran in the same transition (GroupStore.join) the outcome is stored, so that a rerun of the
 * job that joined them gets the same message back.
 * KEYS: per group: group hash, join result (Keys.groupJoin)
 * ARGV: TTL of a join result (s), then per group: mode ('w' write, 'r' only read a stored result),
 *       version read, TTL of the group (s; 0: none), result JSON ('' : do not store), meta JSON,
 *       count of fields to set, then (field, value) pairs, count of fields to delete, then fields
 * Returns per group {1, result} once applied, {0, result} when the same join was applied before
 * with a result stored, {-1} when the group changed since it was read, {2} when there is nothing
 * to write and no result stored.
 */
export const GROUP_JOIN_LUA = `${APPLY}
local out = {}
local i = 2
for g = 1, #KEYS / 2 do
  local key, jkey = KEYS[2 * g - 1], KEYS[2 * g]
  local mode, version, ttl, result, meta = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local change = i + 5
  i = past(change)
  local done = redis.call('GET', jkey)
  if done then
    out[g] = {0, done}
  elseif mode == 'r' then
    out[g] = {2}
  else
    local v = tonumber(redis.call('HGET', key, 'v') or '0')
    if v ~= tonumber(version) then
      out[g] = {-1}
    else
      redis.call('HSET', key, 'v', v + 1, 'meta', meta)
      apply(key, change)
      keep(key, ttl)
      if result ~= '' then redis.call('SET', jkey, result, 'EX', ARGV[1]) end
      out[g] = {1, result}
    end
  end
end
return out
`;
