-- End one attempt of a task: SUCCESSFUL, FAILED, or READY when a retry follows.
--
-- KEYS[1]  result   hash  {spec, status, started_at, last_attempted_at, finished_at, return}
-- KEYS[2]  workers  list  worker id of each attempt
-- KEYS[3]  errors   list  JSON of each failed attempt's error
-- ARGV[1]  spec     JSON description of the task and its arguments
-- ARGV[2]  now      seconds since the epoch, as a decimal string
-- ARGV[3]  status   SUCCESSFUL, FAILED or READY
-- ARGV[4]  ttl      ms the result lives from now (at least, while a retry is due)
-- ARGV[5]  return   JSON of the return value, or "" for none
-- ARGV[6]  error    JSON {exception_class_path, traceback}, or "" for none
-- Returns  the record after the change: {HGETALL of KEYS[1], workers, errors}

redis.call('HSETNX', KEYS[1], 'spec', ARGV[1])
redis.call('HSET', KEYS[1], 'status', ARGV[3])
local final = ARGV[3] ~= 'READY'
if final then
  redis.call('HSET', KEYS[1], 'finished_at', ARGV[2])
end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'return', ARGV[5])
end
if ARGV[6] ~= '' then
  redis.call('RPUSH', KEYS[3], ARGV[6])
end

local ttl = tonumber(ARGV[4])
for _, key in ipairs(KEYS) do
  local left = redis.call('PTTL', key)
  if left ~= -2 and (final or left < ttl) then
    redis.call('PEXPIRE', key, ttl)
  end
end
return {redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1), redis.call('LRANGE', KEYS[3], 0, -1)}
