-- Move one delayed message to its ready queue now.
--
-- A worker may already hold the delayed message in memory (it fetches delay
-- queues early); then its copy is enqueued again when due. The skip entry
-- tells workers to drop that stale copy, so the job runs once.
--
-- KEYS[1]  <ns>:<queue>.DQ          list of delayed redis ids no worker holds yet
-- KEYS[2]  <ns>:<queue>.DQ.msgs     hash redis id -> payload, for every delayed message
-- KEYS[3]  <ns>:<queue>             list, the ready queue
-- KEYS[4]  <ns>:<queue>.msgs        hash redis id -> payload
-- KEYS[5]  <prefix>:dashboard:skips zset "<message id>|<retries>|<exempt redis id>" -> expiry (ms)
-- ARGV[1]  the delayed redis id
-- ARGV[2]  the new redis id
-- ARGV[3]  the new payload (ready, stamped)
-- ARGV[4]  the skip member
-- ARGV[5]  the skip expiry (ms)
-- ARGV[6]  1 when the message is due too soon for workers to learn of a skip in time
--
-- Returns 1 when moved, 0 when gone, -1 when held by a worker and due too soon.

if redis.call("hexists", KEYS[2], ARGV[1]) == 0 then
    return 0
end
local waiting = redis.call("lrem", KEYS[1], 1, ARGV[1])
if waiting == 0 then
    if ARGV[6] == "1" then
        return -1
    end
    redis.call("zadd", KEYS[5], ARGV[5], ARGV[4])
end
redis.call("hdel", KEYS[2], ARGV[1])
redis.call("hset", KEYS[4], ARGV[2], ARGV[3])
redis.call("rpush", KEYS[3], ARGV[2])
return 1
