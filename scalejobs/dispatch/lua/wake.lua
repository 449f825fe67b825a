-- Leave a wake-up token when a queue holds messages and has none, e.g. after
-- messages were put back without one (a requeue, a maintenance pass).
--
-- KEYS[1]  <ns>:<queue>                 list  redis message ids
-- KEYS[2]  <ns>:__wakeups__.<queue>     list  at most one token; idle consumers BLPOP it
--
-- Returns 1 when a token was left, else 0.

if redis.call("llen", KEYS[1]) > 0 and redis.call("llen", KEYS[2]) == 0 then
    redis.call("rpush", KEYS[2], "1")
    return 1
end
return 0
