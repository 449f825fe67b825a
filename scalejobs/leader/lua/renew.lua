-- Extend the leader lease, only if the caller still holds it.
--
-- KEYS[1]  lease  hash  token, host, pid, since (ms), expires (ms)
-- ARGV[1]  token of the holder
-- ARGV[2]  now, in milliseconds, from Redis TIME
-- ARGV[3]  lease length, in milliseconds
--
-- Returns 1 when renewed, 0 when the lease is gone or held by another process.
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'expires', tostring(tonumber(ARGV[2]) + tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
