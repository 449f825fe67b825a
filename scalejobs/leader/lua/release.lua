-- Give the leader lease up, only if the caller holds it, and tell the followers at once.
--
-- KEYS[1]  lease    hash    token, host, pid, since (ms), expires (ms)
-- KEYS[2]  changes  list    JSON leader changes, newest first, capped at ARGV[3]
-- ARGV[1]  token of the holder
-- ARGV[2]  now, in milliseconds, from Redis TIME
-- ARGV[3]  how many changes to keep
-- ARGV[4]  pub/sub channel the followers listen on
--
-- Returns 1 when released, 0 when the caller did not hold the lease.
local held = redis.call('HMGET', KEYS[1], 'token', 'host', 'pid')
if held[1] ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
local change = {event = 'released', host = held[2], pid = tonumber(held[3]), at = tonumber(ARGV[2])}
redis.call('LPUSH', KEYS[2], cjson.encode(change))
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('PUBLISH', ARGV[4], held[2] .. ':' .. held[3])
return 1
