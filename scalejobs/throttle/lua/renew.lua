-- Push back the expiry of concurrency slots their holder still owns.
--
-- KEYS[i]    state of a concurrency limiter: zset holder -> slot expiry (ms)
-- ARGV[1]    now, ms since the epoch, or "" to use the Redis server's clock
-- ARGV[2]    holder token
-- ARGV[2+i]  lock timeout ms of KEYS[i]: its slot's new expiry is now + this
-- Returns    how many of the slots were still owned (a lost slot is not taken back)

local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local owned = 0
for i, state in ipairs(KEYS) do
  local timeout = tonumber(ARGV[2 + i])
  local expiry = redis.call('ZSCORE', state, ARGV[2])
  if expiry and tonumber(expiry) > now then
    redis.call('ZADD', state, now + timeout, ARGV[2])
    if redis.call('PTTL', state) < timeout then
      redis.call('PEXPIRE', state, timeout)
    end
    owned = owned + 1
  end
end
return owned
