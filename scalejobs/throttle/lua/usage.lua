-- Read how much of each limiter is in use now, for the admin.
--
-- KEYS[2i-1]     state of limiter i (see acquire.lua for each kind's type)
-- KEYS[2i]       stats of limiter i: hash {limit, throttled, reclaimed}
-- ARGV[1]        now, ms since the epoch, or "" to use the Redis server's clock
-- ARGV[2i..2i+1] kind and period ms of limiter i
-- Returns        per limiter {limit, in use (a decimal string for leaky), throttled, reclaimed}

local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local rows = {}
for i = 1, #KEYS / 2 do
  local state, stats = KEYS[2 * i - 1], KEYS[2 * i]
  local kind, period = ARGV[2 * i], tonumber(ARGV[2 * i + 1])
  local saved = redis.call('HMGET', stats, 'limit', 'throttled', 'reclaimed')
  local limit = tonumber(saved[1]) or 0
  local used = '0'
  if kind == 'concurrency' then
    used = tostring(redis.call('ZCOUNT', state, '(' .. now, '+inf'))
  elseif kind == 'window' then
    used = tostring(redis.call('ZCOUNT', state, '(' .. (now - period), '+inf'))
  elseif kind == 'bucket' then
    local bucket = redis.call('HMGET', state, 'window', 'count')
    if tonumber(bucket[1]) == math.floor(now / period) then
      used = bucket[2]
    end
  elseif kind == 'leaky' and limit > 0 then
    local bucket = redis.call('HMGET', state, 'level', 'at')
    local level = tonumber(bucket[1]) or 0
    local at = tonumber(bucket[2]) or now
    used = string.format('%.2f', math.max(0, level - math.max(0, now - at) * limit / period))
  end
  rows[i] = {limit, used, tonumber(saved[2]) or 0, tonumber(saved[3]) or 0}
end
return rows
