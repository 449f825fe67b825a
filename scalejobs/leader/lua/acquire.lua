-- Take the leader lease when it is free or lapsed; renew it when the caller already holds it.
--
-- KEYS[1]  lease    hash    token, host, pid, since (ms), expires (ms); PEXPIREs with the lease
-- KEYS[2]  changes  list    JSON leader changes, newest first, capped at ARGV[6]
-- ARGV[1]  token of the candidate (unique per process run)
-- ARGV[2]  host of the candidate
-- ARGV[3]  pid of the candidate
-- ARGV[4]  now, in milliseconds, from Redis TIME
-- ARGV[5]  lease length, in milliseconds
-- ARGV[6]  how many changes to keep
--
-- Returns {1, since, expires} when the candidate leads, else {0, host, pid, since, expires} of the holder.
local now = tonumber(ARGV[4])
local lease = tonumber(ARGV[5])
local held = redis.call('HMGET', KEYS[1], 'token', 'host', 'pid', 'since', 'expires')
local expires = held[5] and tonumber(held[5])

if held[1] and held[1] ~= ARGV[1] and expires and expires > now then
  return {0, held[2], held[3], held[4], held[5]}
end

local since = now
if held[1] == ARGV[1] then
  since = tonumber(held[4])
else
  local change = {event = 'elected', host = ARGV[2], pid = tonumber(ARGV[3]), at = now, reason = 'vacant'}
  if held[1] then
    change.reason = 'expired'
    change.previous_host = held[2]
    change.previous_pid = tonumber(held[3])
  end
  redis.call('LPUSH', KEYS[2], cjson.encode(change))
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[6]) - 1)
end

redis.call('HSET', KEYS[1], 'token', ARGV[1], 'host', ARGV[2], 'pid', ARGV[3],
  'since', tostring(since), 'expires', tostring(now + lease))
redis.call('PEXPIRE', KEYS[1], lease)
return {1, since, now + lease}
