-- Delete one ready message, if it is still waiting in its queue.
--
-- KEYS[1]  <ns>:<queue>        list of redis message ids ready to fetch
-- KEYS[2]  <ns>:<queue>.msgs   hash redis message id -> payload
-- ARGV[1]  the redis message id
--
-- Returns 1 when deleted, 0 when a worker already fetched it (or it is gone).

local removed = redis.call("lrem", KEYS[1], 1, ARGV[1])
if removed > 0 then
    redis.call("hdel", KEYS[2], ARGV[1])
end
return removed
