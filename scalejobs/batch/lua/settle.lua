-- Record how a member of a batch ended, and fire the callbacks that makes due.
--
-- A member is a message id (a job), "batch:<id>" (a child batch) or
-- "hold:<token>" (an open `with` block). States: P pending, F failed and
-- waiting for a retry, S succeeded, D dead (failed beyond its retries).
-- Moves are decided here, per member, so a redelivered message never counts
-- twice: the same state again changes nothing, S never changes (a copy of a
-- succeeded message that runs again does not undo it), and a later success
-- moves F or D to S. A message not counted yet (add.lua) keeps its state in
-- lower case and counts nothing.
--
-- When no member is pending or failed any more the batch is finished: it
-- fires on_complete once, and on_success once it has no dead job (maybe
-- later, when a dead job is retried and succeeds). The first death fires
-- on_death. A fired callback goes to the due zset in this same call, so a
-- worker killed before sending it loses nothing (the sweep sends it). A
-- finished batch expires after ARGV[5] seconds; a finished child batch
-- settles its member of its parent, computing the parent's keys from the
-- prefix (scalejobs runs on one Redis, not a cluster).
--
-- KEYS[1]  due zset   <prefix>:due    "<batch id>|<kind>" -> time fired (ms)
-- ARGV[1]  prefix, ARGV[2] batch id, ARGV[3] member, ARGV[4] state S, F or D
-- ARGV[5]  expiry (s), ARGV[6] now (ms), ARGV[7] "<actor>|<queue>" of the message
-- Returns the callbacks now due, flat: batch id, kind, ...
local due = KEYS[1]
local prefix, expiry, now, origin = ARGV[1], ARGV[5], ARGV[6], ARGV[7]
local COUNTER = {F = "retrying", S = "succeeded", D = "dead"}
local fired = {}

local function fire(id, kind)
  local batch = prefix .. ":" .. id
  if redis.call("HSETNX", batch, "fired:" .. kind, now) == 1 and redis.call("HGET", batch, kind) ~= "" then
    redis.call("ZADD", due, "NX", now, id .. "|" .. kind)
    fired[#fired + 1] = id
    fired[#fired + 1] = kind
  end
end

local function pending(state)
  return state == "P" or state == "F"
end

local settle
settle = function(id, member, state)
  local batch = prefix .. ":" .. id
  local jobs = batch .. ":jobs"
  if redis.call("EXISTS", batch) == 0 then
    return  -- expired long ago, or never opened
  end
  local current = redis.call("HGET", jobs, member)
  if not current or current ~= string.upper(current) then
    if current ~= "s" then
      redis.call("HSET", jobs, member, string.lower(state))
    end
    return
  end
  if current == state or current == "S" then
    return
  end
  local kind = string.sub(member, 1, 5)
  if kind == "hold:" then
    redis.call("HDEL", jobs, member)
  else
    redis.call("HSET", jobs, member, state)
    if COUNTER[current] then
      redis.call("HINCRBY", batch, COUNTER[current], -1)
    end
    redis.call("HINCRBY", batch, COUNTER[state], 1)
    if state == "D" then
      redis.call("HSET", jobs .. ":dead", member, origin)
    elseif current == "D" then
      redis.call("HDEL", jobs .. ":dead", member)
    end
  end
  local holds = tonumber(redis.call("HGET", batch, "holds"))
  if pending(current) and not pending(state) then
    holds = redis.call("HINCRBY", batch, "holds", -1)
  elseif pending(state) and not pending(current) then
    holds = redis.call("HINCRBY", batch, "holds", 1)
  end
  if state == "D" then
    fire(id, "on_death")
  end
  if holds > 0 then
    if redis.call("HEXISTS", batch, "finished_at") == 1 then
      redis.call("PERSIST", batch)
      redis.call("PERSIST", jobs)
      redis.call("PERSIST", jobs .. ":dead")
    end
    return
  end
  if redis.call("HSETNX", batch, "finished_at", now) == 1 then
    fire(id, "on_complete")
  end
  local dead = tonumber(redis.call("HGET", batch, "dead"))
  if dead == 0 then
    fire(id, "on_success")
  end
  redis.call("EXPIRE", batch, expiry)
  redis.call("EXPIRE", jobs, expiry)
  redis.call("EXPIRE", jobs .. ":dead", expiry)
  local parent = redis.call("HGET", batch, "parent")
  if parent and parent ~= "" then
    origin = "batch|"
    settle(parent, "batch:" .. id, dead == 0 and "S" or "D")
  end
end

settle(ARGV[2], ARGV[3], ARGV[4])
return fired
