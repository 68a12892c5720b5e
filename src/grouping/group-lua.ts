/**
 * The group's transitions in Redis. A group is one hash (Keys.group): `v` its version, `meta`,
 * `m:<fp>` per member, `g:<fp>` per member gone. Each transition is decided in TypeScript on what
 * was read (src/grouping/group-state.ts) and written by one of these scripts only if the version
 * is still the one read; otherwise the caller reads and decides again. A decision therefore never
 * lands on a state it did not see, whichever worker (or a rerun of the same job, or a command
 * that ioredis sent again after a lost answer) wrote in between.
 */

/** Writes the fields of a change: `i` points at the count of fields to set in ARGV. */
const APPLY = `
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
end
local function keep(key, ttl)
  if tonumber(ttl) > 0 then redis.call('EXPIRE', key, ttl) else redis.call('PERSIST', key) end
end
`;

/**
 * Notifications join the group.
 * KEYS: group hash
 * ARGV: version read, TTL (s; 0: none, the group holds alerts), meta JSON,
 *       count of fields to set, then (field, value) pairs, count of fields to delete, then fields
 * Returns the new version, or -1 when the group changed since it was read. Idempotent on the
 * notification ids: whether each was applied already was decided on the version this checks
 * (a member keeps its latest ids), so the same notifications added again write nothing new.
 */
export const GROUP_ADD_LUA = `${APPLY}
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return -1 end
redis.call('HSET', KEYS[1], 'v', v + 1, 'meta', ARGV[3])
apply(KEYS[1], 4)
keep(KEYS[1], ARGV[2])
return v + 1
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
