-- Record the outcome of one ECS call and release the call lock.
--
-- KEYS[1] state    hash    the task's protection (see sync.lua)
-- KEYS[2] history  list    JSON entries, newest first
-- KEYS[3] lock     string  "<process id> <action>" while the call was in flight
--
-- ARGV[1] process id     ARGV[2] action ("enable"/"disable")
-- ARGV[3] fields JSON: {field: string}; an empty string deletes the field
-- ARGV[4] history entry JSON, or ""     ARGV[5] history length     ARGV[6] data ttl (ms)

local state, history, lock = unpack(KEYS)
for name, value in pairs(cjson.decode(ARGV[3])) do
    if value == "" then
        redis.call("hdel", state, name)
    else
        redis.call("hset", state, name, value)
    end
end
if ARGV[4] ~= "" then
    redis.call("lpush", history, ARGV[4])
    redis.call("ltrim", history, 0, tonumber(ARGV[5]) - 1)
end
if redis.call("get", lock) == ARGV[1] .. " " .. ARGV[2] then
    redis.call("del", lock)
end
redis.call("pexpire", state, ARGV[6])
redis.call("pexpire", history, ARGV[6])
return 1
