-- Create the READY result of a task just sent, unless a worker already wrote it.
--
-- KEYS[1]  result   hash  {spec, status, started_at, last_attempted_at, finished_at, return}
-- KEYS[2]  workers  list  worker id of each attempt
-- KEYS[3]  errors   list  JSON of each failed attempt's error
-- ARGV[1]  spec     JSON description of the task and its arguments
-- ARGV[2]  ttl      ms the result lives at least from now
-- Returns  1 when the record was created, 0 when it already existed

local created = redis.call('HSETNX', KEYS[1], 'spec', ARGV[1])
if created == 1 then
  redis.call('HSET', KEYS[1], 'status', 'READY')
end

local ttl = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  local left = redis.call('PTTL', key)
  if left ~= -2 and left < ttl then
    redis.call('PEXPIRE', key, ttl)
  end
end
return created
