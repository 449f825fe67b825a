-- Enqueue one message as Dramatiq does, and leave a wake-up token for an idle consumer.
--
-- KEYS[1]  <ns>:<queue>                 list  redis message ids, fetched from the left
-- KEYS[2]  <ns>:<queue>.msgs            hash  redis message id -> encoded message
-- KEYS[3]  <ns>:__heartbeats__          zset  broker id -> time of its last call (ms)
-- KEYS[4]  <ns>:__wakeups__.<queue>     list  at most one token; idle consumers BLPOP it
-- ARGV[1]  the redis message id
-- ARGV[2]  the encoded message
-- ARGV[3]  now (ms, the caller's clock, as Dramatiq stamps heartbeats)
-- ARGV[4]  the caller's broker id
--
-- Returns nothing.

redis.call("hset", KEYS[2], ARGV[1], ARGV[2])
redis.call("rpush", KEYS[1], ARGV[1])
redis.call("zadd", KEYS[3], ARGV[3], ARGV[4])
if redis.call("llen", KEYS[4]) == 0 then
    redis.call("rpush", KEYS[4], "1")
end
