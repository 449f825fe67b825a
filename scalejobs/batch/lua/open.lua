-- Open a batch, or open an existing one again, and put a hold on it.
--
-- A hold is a member that keeps the batch from finishing while jobs are
-- being added to it; the `with` block that took it releases it with
-- settle.lua. Creating a batch inside an open one (a child batch) makes the
-- child one job of its parent.
--
-- KEYS[1]  batch hash   <prefix>:<id>      fields: description, created_at, finished_at,
--                                          parent, on_success/on_complete/on_death (actor names),
--                                          total, succeeded, retrying, dead, holds, fired:<kind>
-- KEYS[2]  jobs hash    <prefix>:<id>:jobs member -> state (P, F, S, D)
-- KEYS[3]  index zset   <prefix>:index     batch id -> created at (ms)
-- ARGV[1]  prefix, ARGV[2] batch id, ARGV[3] hold member, ARGV[4] now (ms), ARGV[5] "1" to create
-- ARGV[6]  description, ARGV[7..9] on_success, on_complete, on_death actor names ("" for none)
-- ARGV[10] parent batch id ("" for none)
-- Returns "ok", or an error reply: "gone" (no such batch) or "finished".
local batch, jobs, index = KEYS[1], KEYS[2], KEYS[3]
local prefix, id, hold, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

if ARGV[5] == "1" then
  local parent = ARGV[10]
  if parent ~= "" then
    local parent_batch = prefix .. ":" .. parent
    if redis.call("EXISTS", parent_batch) == 0 then
      return redis.error_reply("gone")
    end
    local member = "batch:" .. id
    if not redis.call("HGET", parent_batch .. ":jobs", member) then
      redis.call("HSET", parent_batch .. ":jobs", member, "P")
      redis.call("HINCRBY", parent_batch, "total", 1)
      redis.call("HINCRBY", parent_batch, "holds", 1)
      redis.call("PERSIST", parent_batch)
      redis.call("PERSIST", parent_batch .. ":jobs")
    end
  end
  redis.call("HSET", batch, "description", ARGV[6], "created_at", now, "parent", parent,
    "on_success", ARGV[7], "on_complete", ARGV[8], "on_death", ARGV[9],
    "total", 0, "succeeded", 0, "retrying", 0, "dead", 0, "holds", 0)
  redis.call("ZADD", index, now, id)
elseif redis.call("EXISTS", batch) == 0 then
  return redis.error_reply("gone")
elseif tonumber(redis.call("HGET", batch, "holds")) == 0 and redis.call("HEXISTS", batch, "finished_at") == 1 then
  return redis.error_reply("finished")
end
redis.call("HSET", jobs, hold, "P")
redis.call("HINCRBY", batch, "holds", 1)
return "ok"
