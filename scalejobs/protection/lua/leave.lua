-- Remove a stopping worker process from its task; return how many live
-- processes the task has left.
--
-- KEYS[1] procs    zset    process id -> last heartbeat (seconds)
-- KEYS[2] leases   zset    process id -> busy until
-- KEYS[3] jobs     hash    process id -> JSON of the process and its jobs
-- KEYS[4] state    hash    the task's protection (see sync.lua)
--
-- ARGV[1] now (seconds)   ARGV[2] process id   ARGV[3] process timeout (s)   ARGV[4] data ttl (ms)

local procs, leases, jobs, state = unpack(KEYS)
local now = tonumber(ARGV[1])
local lease = tonumber(redis.call("zscore", leases, ARGV[2]) or "0")
local idle_since = tonumber(redis.call("hget", state, "idle_since") or "0")
redis.call("hset", state, "idle_since", math.max(idle_since, math.min(lease, now)))
redis.call("pexpire", state, ARGV[4])
redis.call("zrem", procs, ARGV[2])
redis.call("zrem", leases, ARGV[2])
redis.call("hdel", jobs, ARGV[2])
return redis.call("zcount", procs, "(" .. (now - tonumber(ARGV[3])), "+inf")
