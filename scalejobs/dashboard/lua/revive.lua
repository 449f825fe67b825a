-- Move dead letters back to their ready queue, each under a new redis id.
--
-- KEYS[1]  <ns>:<queue>.XQ       zset redis id -> dead-letter time (ms)
-- KEYS[2]  <ns>:<queue>.XQ.msgs  hash redis id -> payload
-- KEYS[3]  <ns>:<queue>          list, the ready queue
-- KEYS[4]  <ns>:<queue>.msgs     hash redis id -> payload
-- ARGV     triples: dead redis id, new redis id, new payload
--
-- Returns how many were moved; ids no longer dead are left alone.

local moved = 0
for i = 1, #ARGV, 3 do
    if redis.call("zrem", KEYS[1], ARGV[i]) == 1 then
        redis.call("hdel", KEYS[2], ARGV[i])
        redis.call("hset", KEYS[4], ARGV[i + 1], ARGV[i + 2])
        redis.call("rpush", KEYS[3], ARGV[i + 1])
        moved = moved + 1
    end
end
return moved
