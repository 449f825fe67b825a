-- Record that a worker process is alive, on Redis time, with what the leader needs if it dies.
--
-- KEYS[1]  pulses     zset   broker id -> last pulse (ms, Redis time)
-- KEYS[2]  process    hash   this process: queues (JSON list of names)
-- KEYS[3]  presumed   string left by the leader when it recovered this process's jobs: JSON {at, last, messages}
-- KEYS[4]  known      set    every queue a pulsing process consumes
-- KEYS[5]  stats      hash   recovery counters: resumed, resumed_messages
-- ARGV[1]  the process's broker id
-- ARGV[2]  how long (ms) the process hash outlives the last pulse
-- ARGV[3]  queues, a JSON list
--
-- Returns {now (ms), the presumed-dead record or false}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], 'queues', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local queues = cjson.decode(ARGV[3])
if #queues > 0 then
  redis.call('SADD', KEYS[4], unpack(queues))
end
local presumed = redis.call('GET', KEYS[3])
if presumed then
  redis.call('DEL', KEYS[3])
  local record = cjson.decode(presumed)
  redis.call('HINCRBY', KEYS[5], 'resumed', 1)
  redis.call('HINCRBY', KEYS[5], 'resumed_messages', record.messages)
end
return {now, presumed or false}
