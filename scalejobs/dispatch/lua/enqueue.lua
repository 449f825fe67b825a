-- Enqueue one or more messages as Dramatiq does, and leave a wake-up token for an idle consumer.
--
-- KEYS[1]  <ns>:<queue>                 list  redis message ids, fetched from the left
-- KEYS[2]  <ns>:<queue>.msgs            hash  redis message id -> encoded message
-- KEYS[3]  <ns>:__heartbeats__          zset  broker id -> time of its last call (ms)
-- KEYS[4]  <ns>:__wakeups__.<queue>     list  at most one token; idle consumers BLPOP it
-- ARGV[1]  now (ms, the caller's clock, as Dramatiq stamps heartbeats)
-- ARGV[2]  the caller's broker id
-- ARGV[3], ARGV[4], ...  pairs of a redis message id and its encoded message, in queue order;
--          at most a few thousand values in all, as unpack() takes them at once
--
-- Returns nothing.

local ids = {}
for i = 3, #ARGV, 2 do
    ids[#ids + 1] = ARGV[i]
end
redis.call("hset", KEYS[2], unpack(ARGV, 3))
redis.call("rpush", KEYS[1], unpack(ids))
redis.call("zadd", KEYS[3], ARGV[1], ARGV[2])
if redis.call("llen", KEYS[4]) == 0 then
    redis.call("rpush", KEYS[4], "1")
end
