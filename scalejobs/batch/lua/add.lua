-- Count messages as jobs of a batch; a message counted already is left alone.
--
-- The hold of the adding `with` block keeps the batch open meanwhile. A
-- message may have run before it was counted: settle.lua then left its
-- outcome in lower case, and counting it here takes that outcome over.
--
-- KEYS[1] batch hash, KEYS[2] jobs hash, KEYS[3] due zset (see settle.lua)
-- ARGV[1] batch id, ARGV[2] now (ms), ARGV[3..] message ids
-- Returns the callbacks now due, flat: batch id, kind, ...; or an error reply "gone".
local batch, jobs, due = KEYS[1], KEYS[2], KEYS[3]
local id, now = ARGV[1], ARGV[2]
if redis.call("EXISTS", batch) == 0 then
  return redis.error_reply("gone")
end
local COUNTER = {F = "retrying", S = "succeeded", D = "dead"}
local fired = {}
local added, holds = 0, 0
local members = {}
for index = 3, #ARGV do
  members[#members + 1] = ARGV[index]
end
-- One read and one write for the whole list: flushes carry up to a thousand messages.
local states = redis.call("HMGET", jobs, unpack(members))
local writes = {}
for index, member in ipairs(members) do
  local state = states[index]
  if not state then
    writes[#writes + 1] = member
    writes[#writes + 1] = "P"
    added = added + 1
    holds = holds + 1
  elseif state ~= string.upper(state) then
    state = string.upper(state)
    writes[#writes + 1] = member
    writes[#writes + 1] = state
    redis.call("HINCRBY", batch, COUNTER[state], 1)
    added = added + 1
    if state == "F" then
      holds = holds + 1
    elseif state == "D" and redis.call("HSETNX", batch, "fired:on_death", now) == 1 and redis.call("HGET", batch, "on_death") ~= "" then
      redis.call("ZADD", due, "NX", now, id .. "|on_death")
      fired[#fired + 1] = id
      fired[#fired + 1] = "on_death"
    end
  end
end
if #writes > 0 then
  redis.call("HSET", jobs, unpack(writes))
end
if added > 0 then
  redis.call("HINCRBY", batch, "total", added)
end
if holds > 0 then
  redis.call("HINCRBY", batch, "holds", holds)
end
return fired
