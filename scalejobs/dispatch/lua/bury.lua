-- Move a fetched message that no worker can read to its queue's dead letters, as a nack
-- does, storing the payload given (the raw bytes, capped) instead of the stored one.
--
-- KEYS[1]  <ns>:__acks__.<broker id>.<queue>   set   ids this broker fetched and has not acked
-- KEYS[2]  <ns>:<queue>.msgs                   hash  redis message id -> encoded message
-- KEYS[3]  <ns>:<canonical queue>.XQ           zset  redis message id -> dead-letter time (ms)
-- KEYS[4]  <ns>:<canonical queue>.XQ.msgs      hash  redis message id -> payload
-- ARGV[1]  the redis message id
-- ARGV[2]  now (ms)
-- ARGV[3]  the payload to keep in the dead letters
--
-- Returns 1 if the message was moved, 0 if this broker no longer held it.

if redis.call("srem", KEYS[1], ARGV[1]) == 0 then
    return 0
end
redis.call("hdel", KEYS[2], ARGV[1])
redis.call("zadd", KEYS[3], ARGV[2], ARGV[1])
redis.call("hset", KEYS[4], ARGV[1], ARGV[3])
return 1
