-- Delete one delayed message.
--
-- If a worker already holds it in memory, a skip entry makes workers drop
-- the copy it enqueues when due.
--
-- KEYS[1]  <ns>:<queue>.DQ          list of delayed redis ids no worker holds yet
-- KEYS[2]  <ns>:<queue>.DQ.msgs     hash redis id -> payload, for every delayed message
-- KEYS[3]  <prefix>:dashboard:skips zset "<message id>|<retries>|" -> expiry (ms)
-- ARGV[1]  the delayed redis id
-- ARGV[2]  the skip member
-- ARGV[3]  the skip expiry (ms)
-- ARGV[4]  1 when the message is due too soon for workers to learn of a skip in time
--
-- Returns 1 when deleted, 0 when gone, -1 when held by a worker and due too soon.

if redis.call("hexists", KEYS[2], ARGV[1]) == 0 then
    return 0
end
local waiting = redis.call("lrem", KEYS[1], 1, ARGV[1])
if waiting == 0 then
    if ARGV[4] == "1" then
        return -1
    end
    redis.call("zadd", KEYS[3], ARGV[3], ARGV[2])
end
redis.call("hdel", KEYS[2], ARGV[1])
return 1
