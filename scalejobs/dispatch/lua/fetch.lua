-- Settle a consumer's finished messages, then take up to COUNT messages for
-- it, as Dramatiq does, and pass the wake-up token on when messages remain,
-- so another idle consumer wakes too.
--
-- KEYS[1]  <ns>:<queue>                        list  redis message ids, fetched from the left
-- KEYS[2]  <ns>:<queue>.msgs                   hash  redis message id -> encoded message
-- KEYS[3]  <ns>:__acks__.<broker id>.<queue>   set   ids this broker fetched and has not acked
-- KEYS[4]  <ns>:__heartbeats__                 zset  broker id -> time of its last call (ms)
-- KEYS[5]  <ns>:__wakeups__.<queue>            list  at most one token; idle consumers BLPOP it
-- ARGV[1]  COUNT, small enough to unpack on the Lua stack; 0 only acks
-- ARGV[2]  now (ms, the caller's clock)
-- ARGV[3]  the caller's broker id
-- ARGV[4], ARGV[5], ...  ids this broker acks, as Dramatiq's "ack" does each:
--          an id still in the ack set leaves it and loses its payload
--
-- Returns {ids, payloads}: the redis message ids taken, and their encoded
-- messages in the same order; a payload is false (nil in the client) when
-- it is gone, as with Dramatiq's own fetch.

redis.call("zadd", KEYS[4], ARGV[2], ARGV[3])
for i = 4, #ARGV do
    if redis.call("srem", KEYS[3], ARGV[i]) > 0 then
        redis.call("hdel", KEYS[2], ARGV[i])
    end
end
if tonumber(ARGV[1]) < 1 then
    return {{}, {}}
end
local ids = redis.call("lpop", KEYS[1], ARGV[1])
if not ids then
    return {{}, {}}
end
redis.call("sadd", KEYS[3], unpack(ids))
if redis.call("llen", KEYS[1]) > 0 and redis.call("llen", KEYS[5]) == 0 then
    redis.call("rpush", KEYS[5], "1")
end
return {ids, redis.call("hmget", KEYS[2], unpack(ids))}
