-- Mark one attempt of a task as RUNNING on a worker, creating the result if needed.
--
-- KEYS[1]  result   hash  {spec, status, started_at, last_attempted_at, finished_at, return}
-- KEYS[2]  workers  list  worker id of each attempt
-- KEYS[3]  errors   list  JSON of each failed attempt's error
-- ARGV[1]  spec     JSON description of the task and its arguments
-- ARGV[2]  now      seconds since the epoch, as a decimal string
-- ARGV[3]  worker   id of the worker starting this attempt
-- ARGV[4]  ttl      ms the result lives at least from now
-- Returns  the record after the change: {HGETALL of KEYS[1], workers, errors}

redis.call('HSETNX', KEYS[1], 'spec', ARGV[1])
redis.call('HSET', KEYS[1], 'status', 'RUNNING', 'last_attempted_at', ARGV[2])
redis.call('HSETNX', KEYS[1], 'started_at', ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[3])

local ttl = tonumber(ARGV[4])
for _, key in ipairs(KEYS) do
  local left = redis.call('PTTL', key)
  if left ~= -2 and left < ttl then
    redis.call('PEXPIRE', key, ttl)
  end
end
return {redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1), redis.call('LRANGE', KEYS[3], 0, -1)}
