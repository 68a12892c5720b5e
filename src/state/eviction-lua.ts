/** The shard eviction script (see ShardStore.evict and src/state/eviction.ts). */
export const EVICT_LUA = `
-- Forgets idle rule states (series) and sources of one shard atomically, if nobody committed
-- since the candidates were read. Idempotency is checked here, per entry: a series is forgotten
-- only while it is still indexed and still idle (last seen at or before its cut-off), a source
-- only while it is still idle and has no series left; so a round sent again forgets nothing more.
-- KEYS: 1 version, 2 rule states, 3 rule timers, 4 series index (state key by last seen),
--       5 sources index (source by last seen), then one series set per source of ARGV's source
--       list, in order (the source's state keys by last seen)
-- ARGV: 1 expected version, 2 now (ms: what is kept counts as seen then),
--       then sections, each a count followed by its items:
--       sources (source name; its series set is the next KEY), series to forget (state key,
--       source number from 1, cut-off ms), sources to forget (source number, cut-off ms),
--       series to keep (state key, source number), sources to keep (source number)
-- Returns {new version, series forgotten, sources forgotten}; -1 when another writer committed
-- first (the caller reads again).
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current ~= tonumber(ARGV[1]) then
  return -1
end
local now = ARGV[2]
local i = 3
local function section(step, fn)
  local n = tonumber(ARGV[i])
  i = i + 1
  for j = 1, n do
    fn(j, ARGV[i], ARGV[i + 1], ARGV[i + 2])
    i = i + step
  end
  return n
end
local names = {}
section(1, function(j, s) names[j] = s end)
local function set(n) return KEYS[5 + tonumber(n)] end
local series, sources = 0, 0
section(3, function(_, k, n, cutoff)
  local seen = redis.call('ZSCORE', KEYS[4], k)
  if seen and tonumber(seen) <= tonumber(cutoff) then
    redis.call('HDEL', KEYS[2], k)
    redis.call('ZREM', KEYS[3], k)
    redis.call('ZREM', KEYS[4], k)
    redis.call('ZREM', set(n), k)
    series = series + 1
  end
end)
section(2, function(_, n, cutoff)
  local s = names[tonumber(n)]
  local seen = redis.call('ZSCORE', KEYS[5], s)
  if seen and tonumber(seen) <= tonumber(cutoff) and redis.call('ZCARD', set(n)) == 0 then
    redis.call('ZREM', KEYS[5], s)
    sources = sources + 1
  end
end)
-- Kept: seen again now, if still indexed (XX), so that they are looked at after another idle time.
section(2, function(_, k, n)
  if redis.call('ZSCORE', KEYS[4], k) then
    redis.call('ZADD', KEYS[4], now, k)
    redis.call('ZADD', set(n), now, k)
  end
end)
section(1, function(_, n) redis.call('ZADD', KEYS[5], 'XX', now, names[tonumber(n)]) end)
local version = current
if series + sources > 0 then version = redis.call('INCR', KEYS[1]) end
return {version, series, sources}
`;
