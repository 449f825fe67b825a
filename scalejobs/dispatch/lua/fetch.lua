-- Take up to COUNT messages for one consumer, as Dramatiq does, and pass the
-- wake-up token on when messages remain, so another idle consumer wakes too.
--
-- KEYS[1]  <ns>:<queue>                        list  redis message ids, fetched from the left
-- KEYS[2]  <ns>:<queue>.msgs                   hash  redis message id -> encoded message
-- KEYS[3]  <ns>:__acks__.<broker id>.<queue>   set   ids this broker fetched and has not acked
-- KEYS[4]  <ns>:__heartbeats__                 zset  broker id -> time of its last call (ms)
-- KEYS[5]  <ns>:__wakeups__.<queue>            list  at most one token; idle consumers BLPOP it
-- ARGV[1]  COUNT, at least 1 and small enough to unpack on the Lua stack
-- ARGV[2]  now (ms, the caller's clock)
-- ARGV[3]  the caller's broker id
--
-- Returns {ids, payloads}: the redis message ids taken, and their encoded
-- messages in the same order; a payload is false (nil in the client) when
-- it is gone, as with Dramatiq's own fetch.

redis.call("zadd", KEYS[4], ARGV[2], ARGV[3])
local ids = redis.call("lpop", KEYS[1], ARGV[1])
if not ids then
    return {{}, {}}
end
redis.call("sadd", KEYS[3], unpack(ids))
if redis.call("llen", KEYS[1]) > 0 and redis.call("llen", KEYS[5]) == 0 then
    redis.call("rpush", KEYS[5], "1")
end
return {ids, redis.call("hmget", KEYS[2], unpack(ids))}
