/** The shard commit script (see ShardStore.commit). */
export const COMMIT_LUA = `
-- Applies one evaluation of a shard atomically, if nobody else committed since it read and the
-- job was not applied before (idempotency is checked here, inside the transition).
-- KEYS: 1 version, 2 rule states, 3 rule timers, 4 alerts, 5 alert timers, 6 done marker,
--       7 history stream, 8 alert index, 9 inhibitors,
--       then one alert log key per history entry (in order), then one key per input id
-- ARGV: 1 expected version, 2 done TTL (s), 3 history max length, 4 done value ('' for none),
--       5 alert log TTL (ms), 6 alert log max length, 7 input ids TTL (ms),
--       then sections, each a count followed by its items:
--       rule sets (key, json), rule deletes (key), rule timers (key, due), rule timer deletes (key),
--       alert sets (fp, json, last seen), alert deletes (fp), alert timers (fp, due),
--       alert timer deletes (fp), history entries (json), inhibitor sets (fp, json),
--       inhibitor deletes (fp), input ids (count only: their keys are the last KEYS)
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
local i = 8
local function section(step, fn)
  local n = tonumber(ARGV[i])
  i = i + 1
  for j = 1, n do
    fn(j, ARGV[i], ARGV[i + 1], ARGV[i + 2])
    i = i + step
  end
  return n
end
section(2, function(_, k, v) redis.call('HSET', KEYS[2], k, v) end)
section(1, function(_, k) redis.call('HDEL', KEYS[2], k) end)
section(2, function(_, k, d) redis.call('ZADD', KEYS[3], d, k) end)
section(1, function(_, k) redis.call('ZREM', KEYS[3], k) end)
section(3, function(_, fp, v, seen)
  redis.call('HSET', KEYS[4], fp, v)
  redis.call('ZADD', KEYS[8], seen, fp)
end)
section(1, function(_, fp)
  redis.call('HDEL', KEYS[4], fp)
  redis.call('ZREM', KEYS[8], fp)
end)
section(2, function(_, k, d) redis.call('ZADD', KEYS[5], d, k) end)
section(1, function(_, k) redis.call('ZREM', KEYS[5], k) end)
local logs, order = {}, {}
local entries = section(1, function(j, e)
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[3], '*', 'e', e)
  local log = KEYS[9 + j]
  if not logs[log] then
    logs[log] = {}
    order[#order + 1] = log
  end
  table.insert(logs[log], e)
end)
if entries > 0 then redis.call('EXPIRE', KEYS[7], 8 * 86400) end
-- Each alert's log at once: its entries pushed in order (the newest ends up first), trimmed.
for _, log in ipairs(order) do
  redis.call('LPUSH', log, unpack(logs[log]))
  redis.call('LTRIM', log, 0, tonumber(ARGV[6]) - 1)
  redis.call('PEXPIRE', log, ARGV[5])
end
section(2, function(_, fp, v) redis.call('HSET', KEYS[9], fp, v) end)
section(1, function(_, fp) redis.call('HDEL', KEYS[9], fp) end)
section(0, function(j) redis.call('SET', KEYS[9 + entries + j], '1', 'PX', ARGV[7]) end)
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[6], ARGV[4], 'EX', ARGV[2])
end
return redis.call('INCR', KEYS[1])
`;
