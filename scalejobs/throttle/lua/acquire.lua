-- Admit one holder past every limiter it names, or past none: all must pass.
--
-- KEYS[1]        index  zset  limiter id -> last use (ms since the epoch), for the admin
-- KEYS[2]        owner  hash  holder -> JSON list of the concurrency counts it holds, for the
--                             worker process that asks (ARGV[4]): what its death strands
-- KEYS[2i+1]     state of limiter i (i = 1..n), by kind:
--                  concurrency  zset  holder -> slot expiry (ms)
--                  window       zset  holder -> start (ms)
--                  bucket       hash  {window = period number, count}
--                  leaky        hash  {level, at = ms of the last change}
-- KEYS[2i+2]     stats of limiter i: hash {limit, throttled, reclaimed}
-- ARGV[1]        now, ms since the epoch, or "" to use the Redis server's clock
-- ARGV[2]        holder: a token unique to this attempt
-- ARGV[3]        ms the index and stats outlive their last use
-- ARGV[4]        "1" to record the holder's concurrency slots in KEYS[2], "" to leave it alone
-- ARGV[4i+1..4i+4] kind, limit, period ms (the lock timeout for concurrency), id of limiter i
-- Returns        {1, 0, 0} when admitted; {0, wait, i} when limiter i refuses, where
--                wait is the ms until it could admit (0 when unknown, as for concurrency)

local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local holder = ARGV[2]
local keep = tonumber(ARGV[3])
local count = (#KEYS - 2) / 2

local function extend(key, ms)
  if redis.call('PTTL', key) < ms then
    redis.call('PEXPIRE', key, ms)
  end
end

-- First pass: may each limiter admit one more? Nothing is taken yet.
local levels = {}
for i = 1, count do
  local state, stats = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local kind, limit, period = ARGV[4 * i + 1], tonumber(ARGV[4 * i + 2]), tonumber(ARGV[4 * i + 3])
  local wait = nil
  if kind == 'concurrency' then
    local reclaimed = redis.call('ZREMRANGEBYSCORE', state, '-inf', now)
    if reclaimed > 0 then
      redis.call('HINCRBY', stats, 'reclaimed', reclaimed)
    end
    if not redis.call('ZSCORE', state, holder) and redis.call('ZCARD', state) >= limit then
      wait = 0
    end
  elseif kind == 'window' then
    redis.call('ZREMRANGEBYSCORE', state, '-inf', now - period)
    if redis.call('ZCARD', state) >= limit then
      local oldest = redis.call('ZRANGE', state, 0, 0, 'WITHSCORES')
      wait = tonumber(oldest[2]) + period - now
    end
  elseif kind == 'bucket' then
    local number = math.floor(now / period)
    local saved = redis.call('HMGET', state, 'window', 'count')
    local used = 0
    if tonumber(saved[1]) == number then
      used = tonumber(saved[2])
    end
    if used >= limit then
      wait = (number + 1) * period - now
    end
    levels[i] = {number, used}
  elseif kind == 'leaky' then
    local saved = redis.call('HMGET', state, 'level', 'at')
    local level = tonumber(saved[1]) or 0
    local at = tonumber(saved[2]) or now
    level = math.max(0, level - math.max(0, now - at) * limit / period)
    if level + 1 > limit then
      wait = math.ceil((level + 1 - limit) * period / limit)
    end
    levels[i] = level
  else
    return redis.error_reply('unknown limiter kind ' .. kind)
  end
  if wait then
    redis.call('HINCRBY', stats, 'throttled', 1)
    redis.call('HSET', stats, 'limit', limit)
    redis.call('PEXPIRE', stats, keep)
    redis.call('ZADD', KEYS[1], now, ARGV[4 * i + 4])
    return {0, math.max(0, math.ceil(wait)), i}
  end
end

-- Second pass: every limiter admits, so take one place in each.
local slots = {}
for i = 1, count do
  local state, stats = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local kind, limit, period = ARGV[4 * i + 1], tonumber(ARGV[4 * i + 2]), tonumber(ARGV[4 * i + 3])
  if kind == 'concurrency' then
    redis.call('ZADD', state, now + period, holder)
    slots[#slots + 1] = state
    -- Kept as long as the stats, so a dead holder's slot is found, reclaimed and counted.
    extend(state, keep)
  elseif kind == 'window' then
    redis.call('ZADD', state, now, holder)
    extend(state, period)
  elseif kind == 'bucket' then
    redis.call('HSET', state, 'window', levels[i][1], 'count', levels[i][2] + 1)
    extend(state, period)
  else
    redis.call('HSET', state, 'level', tostring(levels[i] + 1), 'at', now)
    extend(state, period)
  end
  redis.call('HSET', stats, 'limit', limit)
  redis.call('PEXPIRE', stats, keep)
  redis.call('ZADD', KEYS[1], now, ARGV[4 * i + 4])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - keep)
-- In the same call as the slots themselves: a process killed a moment later still left this record.
if ARGV[4] == '1' and #slots > 0 then
  redis.call('HSET', KEYS[2], holder, cjson.encode(slots))
  extend(KEYS[2], keep)
end
return {1, 0, 0}
