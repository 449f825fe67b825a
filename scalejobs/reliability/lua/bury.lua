-- Count a death for every delivery a dead worker process was running, and forget the process.
--
-- KEYS[1]  running  hash  redis message id -> "<message id>|<actor>|<queue>", the process's deliveries
-- KEYS[2]  processes set  broker ids that recorded deliveries
-- KEYS[3]  deaths   zset  message id -> deaths
-- KEYS[4]  last     zset  message id -> time of its last death (ms)
-- ARGV[1]  the dead process's broker id
-- ARGV[2]  now (ms)
-- ARGV[3]  counts whose last death is at or before this time (ms) are dropped
--
-- Returns {redis id, running value, deaths, ...}, one triple per delivery.
local reply = {}
local running = redis.call('HGETALL', KEYS[1])
for i = 1, #running, 2 do
  local value = running[i + 1]
  local message_id = string.match(value, '^[^|]*')
  local deaths = redis.call('ZINCRBY', KEYS[3], 1, message_id)
  redis.call('ZADD', KEYS[4], ARGV[2], message_id)
  table.insert(reply, running[i])
  table.insert(reply, value)
  table.insert(reply, tonumber(deaths))
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])

local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[3], 'LIMIT', 0, 1000)
if #expired > 0 then
  redis.call('ZREM', KEYS[3], unpack(expired))
  redis.call('ZREM', KEYS[4], unpack(expired))
end
return reply
