/**
 * Reads one shard's alert index after a position, for a page of `GET /v1/alerts`. Read-only:
 * atomic, so the rank it finds and the range it reads agree.
 */
export const INDEX_PAGE_LUA = `
-- KEYS[1]: the shard's alert index (sorted set: fingerprint by lastSeenAt, ms)
-- ARGV[1]: the position's score, or '' to start with the newest; ARGV[2]: its fingerprint;
-- ARGV[3]: how many entries at most
-- Returns fingerprint, score, fingerprint, score, ... of the entries after the position, in the
-- listing's order: score descending, then fingerprint descending (ZREVRANGE's order of ties).
local key, n = KEYS[1], tonumber(ARGV[3])
if ARGV[1] == '' then
  return redis.call('ZREVRANGEBYSCORE', key, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, n)
end
local score, fp = ARGV[1], ARGV[2]
-- The position's alert is still there: the page starts right after it.
local at = redis.call('ZSCORE', key, fp)
if at and tonumber(at) == tonumber(score) then
  local r = redis.call('ZREVRANK', key, fp)
  return redis.call('ZREVRANGE', key, r + 1, r + n, 'WITHSCORES')
end
-- It moved or was forgotten: the entries tied at its score whose fingerprint sorts below its
-- own (byte order, as the sorted set orders ties), then the lower scores.
local function below(a, b)
  local len = math.min(#a, #b)
  for i = 1, len do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local out = {}
for _, m in ipairs(redis.call('ZREVRANGEBYSCORE', key, score, score)) do
  if #out >= 2 * n then break end
  if below(m, fp) then
    out[#out + 1] = m
    out[#out + 1] = score
  end
end
local left = n - #out / 2
if left > 0 then
  local rest = redis.call('ZREVRANGEBYSCORE', key, '(' .. score, '-inf', 'WITHSCORES', 'LIMIT', 0, left)
  for _, v in ipairs(rest) do out[#out + 1] = v end
end
return out
`;
