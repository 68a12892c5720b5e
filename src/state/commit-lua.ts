/** The shard commit script (see ShardStore.commit). */
export const COMMIT_LUA = `
-- Applies one evaluation of a shard atomically, if nobody else committed since it read and the
-- job was not applied before (idempotency is checked here, inside the transition).
-- KEYS: 1 version, 2 rule states, 3 rule timers, 4 alerts, 5 alert timers, 6 done marker,
--       7 alert index, 8 inhibitors,
--       then one alert log key per history entry (in order), then one key per input id,
--       then five keys per record bundle (a source's UTC day: points hash, trades list, alerts
--       list, meta hash, the day's set of sources)
-- ARGV: 1 expected version, 2 done TTL (s), 3 done value ('' for none), 4 alert log TTL (ms),
--       5 alert log max length, 6 input ids TTL (ms),
--       then sections, each a count followed by its items:
--       rule sets (key, json), rule deletes (key), rule timers (key, due), rule timer deletes (key),
--       alert sets (fp, json, last seen), alert deletes (fp), alert timers (fp, due),
--       alert timer deletes (fp), history entries (json, to the alerts' logs), inhibitor sets (fp, json),
--       inhibitor deletes (fp), input ids (count only: their keys follow the alert log keys),
--       then the digest records: retention (s), points bound, trades bound, alerts bound,
--       bundles (source, start of its UTC day in ms), ops (op, bundle from 0, field, value):
--       P points of a bundle (field: JSON [field, value, ...]), c a count, t a trade, a an alert
--       record, x the day's equity peak,
--       then the index of last-seen times (src/state/eviction.ts): its time (ms, '' for no
--       index), index sources (source: its series set is the next of the KEYS that follow the
--       record bundles' keys), sources seen (source), rule states seen (key)
-- KEYS, last: after the record bundles' keys, one series set per index source (in order), then
--       the series index, then the sources index
-- Returns the new version; -1 when another writer committed first; or {-2, done value} when
-- this job was applied already (a commit that ioredis sent again after its answer was lost).
if ARGV[3] ~= '' then
  local done = redis.call('GET', KEYS[6])
  if done then return {-2, done} end
end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current ~= tonumber(ARGV[1]) then
  return -1
end
local i = 7
local function section(step, fn)
  local n = tonumber(ARGV[i])
  i = i + 1
  for j = 1, n do
    fn(j, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    i = i + step
  end
  return n
end
local written, removed = {}, {}
section(2, function(_, k, v)
  redis.call('HSET', KEYS[2], k, v)
  written[#written + 1] = k
end)
section(1, function(_, k)
  redis.call('HDEL', KEYS[2], k)
  removed[#removed + 1] = k
end)
section(2, function(_, k, d) redis.call('ZADD', KEYS[3], d, k) end)
section(1, function(_, k) redis.call('ZREM', KEYS[3], k) end)
section(3, function(_, fp, v, seen)
  redis.call('HSET', KEYS[4], fp, v)
  redis.call('ZADD', KEYS[7], seen, fp)
end)
section(1, function(_, fp)
  redis.call('HDEL', KEYS[4], fp)
  redis.call('ZREM', KEYS[7], fp)
end)
section(2, function(_, k, d) redis.call('ZADD', KEYS[5], d, k) end)
section(1, function(_, k) redis.call('ZREM', KEYS[5], k) end)
local logs, order = {}, {}
local entries = section(1, function(j, e)
  local log = KEYS[8 + j]
  if not logs[log] then
    logs[log] = {}
    order[#order + 1] = log
  end
  table.insert(logs[log], e)
end)
-- Each alert's log at once: its entries pushed in order (the newest ends up first), trimmed.
for _, log in ipairs(order) do
  redis.call('LPUSH', log, unpack(logs[log]))
  redis.call('LTRIM', log, 0, tonumber(ARGV[5]) - 1)
  redis.call('PEXPIRE', log, ARGV[4])
end
section(2, function(_, fp, v) redis.call('HSET', KEYS[8], fp, v) end)
section(1, function(_, fp) redis.call('HDEL', KEYS[8], fp) end)
local ids = section(0, function(j) redis.call('SET', KEYS[8 + entries + j], '1', 'PX', ARGV[6]) end)
-- Digest records. A day's bound keeps its start: once full, what comes later is counted as
-- dropped (from when) and left out; nothing recorded is ever evicted by it.
local rk = 8 + entries + ids
local ttl, bound = tonumber(ARGV[i]), { p = tonumber(ARGV[i + 1]), t = tonumber(ARGV[i + 2]), a = tonumber(ARGV[i + 3]) }
i = i + 4
local bundles = {}
section(2, function(j, source, dayStart) bundles[j] = { source, tonumber(dayStart) } end)
local function key(b, slot) return KEYS[rk + b * 5 + slot] end
-- A key gets its TTL once, when this commit creates it.
local function created(k) redis.call('EXPIRE', k, ttl) end
local function drop(b, kind, n, at)
  redis.call('HINCRBY', key(b, 4), 'dropped|' .. kind, n)
  if redis.call('HSETNX', key(b, 4), 'since|' .. kind, at) == 1 then created(key(b, 4)) end
end
local function minuteAt(b, f) return bundles[b + 1][2] + tonumber(string.match(f, '|(%d+)$')) * 60000 end
-- Fields of each bundle's points hash: read once, then counted as this commit adds them.
local fields = {}
local function size(b)
  if not fields[b] then
    fields[b] = redis.call('HLEN', key(b, 1))
    if fields[b] == 0 then bundles[b + 1].fresh = true end
  end
  return fields[b]
end
-- The latest-input fields ('last|...', a few a source) are never left out.
local function fits(b, f)
  return size(b) < bound.p or string.sub(f, 1, 5) == 'last|' or redis.call('HEXISTS', key(b, 1), f) == 1
end
local function point(b, f, v)
  if fits(b, f) then fields[b] = fields[b] + redis.call('HSET', key(b, 1), f, v)
  else drop(b, 'points', 1, minuteAt(b, f)) end
end
local function push(b, slot, kind, cap, e, at)
  local n = redis.call('RPUSH', key(b, slot), e)
  if n == 1 then created(key(b, slot)) end
  if n > cap then
    redis.call('RPOP', key(b, slot))
    drop(b, kind, 1, at)
  end
end
section(4, function(_, op, bs, f, v)
  local b = tonumber(bs)
  if op == 'P' then
    -- A bundle's points at once (field, value, ...), one by one only near the bound.
    local kv = cjson.decode(f)
    if size(b) + #kv / 2 <= bound.p then
      fields[b] = fields[b] + redis.call('HSET', key(b, 1), unpack(kv))
    else
      for j = 1, #kv, 2 do point(b, kv[j], kv[j + 1]) end
    end
  elseif op == 'c' then
    if fits(b, f) then
      -- A count that equals its increment is a new field.
      if redis.call('HINCRBY', key(b, 1), f, v) == tonumber(v) then fields[b] = fields[b] + 1 end
    else drop(b, 'points', tonumber(v), minuteAt(b, f)) end
  elseif op == 't' then
    push(b, 2, 'trades', bound.t, f, v)
  elseif op == 'a' then
    push(b, 3, 'alerts', bound.a, f, v)
  elseif op == 'x' then
    local peak = redis.call('HGET', key(b, 4), 'peak')
    if not peak then
      redis.call('HSET', key(b, 4), 'peak', v)
      created(key(b, 4))
    elseif tonumber(v) > tonumber(peak) then
      redis.call('HSET', key(b, 4), 'peak', v)
    end
  end
end)
for b = 0, #bundles - 1 do
  if bundles[b + 1].fresh and fields[b] > 0 then created(key(b, 1)) end
  if redis.call('SADD', key(b, 5), bundles[b + 1][1]) == 1 then created(key(b, 5)) end
end
-- The index of last-seen times: a rule state an input was planned onto is seen now, with its
-- source; a state written by a timer alone (a seeded watch) is indexed now if it was not; a
-- state deleted leaves the index. Eviction reads it, so it never scans.
local at = ARGV[i]
i = i + 1
local nk, setOf = #KEYS - 2, {}
local seriesIndex, sourcesIndex = KEYS[nk + 1], KEYS[nk + 2]
local isrc = section(1, function(j, s) setOf[s] = j end)
for s, j in pairs(setOf) do setOf[s] = KEYS[nk - isrc + j] end
local function setFor(k) return setOf[string.match(k, '^[^|]*|([^|]*)') or ''] end
if at ~= '' then
  section(1, function(_, s) redis.call('ZADD', sourcesIndex, at, s) end)
  section(1, function(_, k)
    if redis.call('HEXISTS', KEYS[2], k) == 1 then
      redis.call('ZADD', seriesIndex, at, k)
      redis.call('ZADD', setFor(k), at, k)
    end
  end)
  for _, k in ipairs(written) do
    if redis.call('ZADD', seriesIndex, 'NX', at, k) == 1 then
      redis.call('ZADD', setFor(k), 'NX', at, k)
      redis.call('ZADD', sourcesIndex, 'NX', at, string.match(k, '^[^|]*|([^|]*)') or '')
    end
  end
end
for _, k in ipairs(removed) do
  redis.call('ZREM', seriesIndex, k)
  redis.call('ZREM', setFor(k), k)
end
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[6], ARGV[3], 'EX', ARGV[2])
end
return redis.call('INCR', KEYS[1])
`;
