/** The shard commit script (see ShardStore.commit). */
export const COMMIT_LUA = `
-- Applies one evaluation of a shard atomically, if nobody else committed since it read and the
-- job was not applied before (idempotency is checked here, inside the transition).
-- KEYS: version, rule states, rule timers, alerts, alert timers, done marker, history stream
-- ARGV: expected version, done TTL (s), history max length, done value ('' for none),
--       then sections, each a count followed by its items:
--       rule sets (key, json), rule deletes (key), rule timers (key, due), rule timer deletes (key),
--       alert sets (fp, json), alert deletes (fp), alert timers (fp, due), alert timer deletes (fp),
--       history entries (json)
-- Returns the new version; -1 when another writer committed first; or {-2, done value} when
-- this job was applied already (a commit that ioredis sent again after its answer was lost).
if ARGV[4] ~= '' then
  local done = redis.call('GET', KEYS[6])
  if done then return {-2, done} end
end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current ~= tonumber(ARGV[1]) then
  return -1
end
local i = 5
local function section(step, fn)
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do
    if step == 2 then fn(ARGV[i], ARGV[i + 1]) else fn(ARGV[i]) end
    i = i + step
  end
end
section(2, function(k, v) redis.call('HSET', KEYS[2], k, v) end)
section(1, function(k) redis.call('HDEL', KEYS[2], k) end)
section(2, function(k, d) redis.call('ZADD', KEYS[3], d, k) end)
section(1, function(k) redis.call('ZREM', KEYS[3], k) end)
section(2, function(k, v) redis.call('HSET', KEYS[4], k, v) end)
section(1, function(k) redis.call('HDEL', KEYS[4], k) end)
section(2, function(k, d) redis.call('ZADD', KEYS[5], d, k) end)
section(1, function(k) redis.call('ZREM', KEYS[5], k) end)
local wrote = false
section(1, function(e)
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[3], '*', 'e', e)
  wrote = true
end)
if wrote then redis.call('EXPIRE', KEYS[7], 8 * 86400) end
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[6], ARGV[4], 'EX', ARGV[2])
end
return redis.call('INCR', KEYS[1])
`;
