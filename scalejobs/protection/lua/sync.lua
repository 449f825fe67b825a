-- Publish one worker process's lease, sweep dead processes, and decide the
-- task's next protection call; take the call lock when asked and one is due.
--
-- KEYS[1] tasks    set     ids of tasks with workers (the admin's index)
-- KEYS[2] alive    string  exists while some process of the task heartbeats (PX)
-- KEYS[3] state    hash    status ("on"/"off"/"unknown"), since, expires_at, backoff_until,
--                          failures, recheck_at, switched_off, idle_since, last_call,
--                          refused_at (ECS refused to protect the task: it is going away)
-- KEYS[4] procs    zset    process id -> last heartbeat (seconds)
-- KEYS[5] leases   zset    process id -> busy until (its last job's end once idle)
-- KEYS[6] jobs     hash    process id -> JSON: the process and its jobs in flight
-- KEYS[7] history  list    JSON entries, newest first
-- KEYS[8] lock     string  "<process id> <action>" while an ECS call is in flight (PX)
--
-- ARGV[1] now (seconds)          ARGV[2] task id            ARGV[3] process id
-- ARGV[4] lease (busy-until seconds), or "" to publish nothing for this process
-- ARGV[5] jobs JSON, or "" to leave it
-- ARGV[6] process timeout (s)    ARGV[7] data ttl (ms)      ARGV[8] idle grace (s)
-- ARGV[9] renew before (s)       ARGV[10] lock ttl (ms), or "" to decide without locking
-- ARGV[11] history length        ARGV[12...] history entries (JSON) to record
--
-- Returns {action, status, expires_at, backoff_until, recheck_at, failures, since, busy, refused};
-- action is "none", "enable", "disable" or "wait" (a call is in flight already).

local tasks, alive, state, procs, leases, jobs, history, lock = unpack(KEYS)
local now = tonumber(ARGV[1])
local task, proc = ARGV[2], ARGV[3]
local timeout, ttl = tonumber(ARGV[6]), tonumber(ARGV[7])
local grace, renew = tonumber(ARGV[8]), tonumber(ARGV[9])
local keep = tonumber(ARGV[11])

local function remember(entry)
    redis.call("lpush", history, entry)
    redis.call("ltrim", history, 0, keep - 1)
end

for i = 12, #ARGV do
    remember(ARGV[i])
end

if ARGV[4] ~= "" then
    redis.call("sadd", tasks, task)
    redis.call("set", alive, proc, "px", math.floor(timeout * 1000))
    redis.call("zadd", procs, now, proc)
    redis.call("zadd", leases, ARGV[4], proc)
    if ARGV[5] ~= "" then
        redis.call("hset", jobs, proc, ARGV[5])
    end
end

local fields = redis.call("hmget", state, "status", "expires_at", "backoff_until", "recheck_at", "failures", "since", "idle_since",
                          "refused_at")
local status = fields[1] or "off"
local expires = tonumber(fields[2] or "0")
local backoff = tonumber(fields[3] or "0")
local recheck = tonumber(fields[4] or "0")
local failures = tonumber(fields[5] or "0")
local since = tonumber(fields[6] or "0")
local idle_since = tonumber(fields[7] or "0")

-- A process silent for the timeout is dead: its lease ends now at the latest.
local dead = redis.call("zrangebyscore", procs, "-inf", "(" .. (now - timeout))
for _, gone in ipairs(dead) do
    local lease = tonumber(redis.call("zscore", leases, gone) or "0")
    idle_since = math.max(idle_since, math.min(lease, now))
    redis.call("zrem", procs, gone)
    redis.call("zrem", leases, gone)
    redis.call("hdel", jobs, gone)
    remember(cjson.encode({at = now, event = "swept", detail = "process " .. gone .. " stopped heartbeating"}))
end
if #dead > 0 then
    redis.call("hset", state, "idle_since", idle_since)
end

-- ECS drops protection at its expiry without telling anyone.
if status == "on" and expires <= now then
    status = "off"
    redis.call("hset", state, "status", "off")
    redis.call("hdel", state, "expires_at", "since")
    remember(cjson.encode({at = now, event = "expired", detail = "protection reached its expiry"}))
end

local busy = #redis.call("zrangebyscore", leases, "(" .. now, "+inf", "limit", 0, 1) > 0
local last = idle_since
local top = redis.call("zrevrange", leases, 0, 0, "withscores")
if top[2] then
    last = math.max(last, math.min(tonumber(top[2]), now))
end
local want = busy or (last > 0 and now - last < grace)

local action = "none"
if now >= recheck and now >= backoff then
    if want then
        if not (status == "on" and expires - now > renew) then
            action = "enable"
        end
    elseif status ~= "off" then
        action = "disable"
    end
end

local holder = redis.call("get", lock)
if holder then
    local pending = string.match(holder, " (%a+)$")
    if action ~= "none" or (want and pending == "disable") then
        action = "wait"
    end
elseif action ~= "none" and ARGV[10] ~= "" then
    redis.call("set", lock, proc .. " " .. action, "px", ARGV[10])
end

for _, key in ipairs({state, procs, leases, jobs, history}) do
    redis.call("pexpire", key, ttl)
end

local refused = fields[8] and status ~= "on"
return {action, status, tostring(expires), tostring(backoff), tostring(recheck), tostring(failures),
        tostring(since), busy and "1" or "0", refused and "1" or "0"}
