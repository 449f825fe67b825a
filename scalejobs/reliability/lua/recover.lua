-- Put a dead worker process's unacknowledged messages back on their queues, and forget the process.
--
-- The same move as the maintenance pass of Dramatiq's dispatch.lua, for every queue at once:
-- an id whose payload is still stored goes back to the tail of its queue; the ack set goes.
-- An id named poisoned (its workers kept dying under it) is dead-lettered instead, as a nack does.
--
-- KEYS[1]  heartbeats   zset   Dramatiq's <ns>:__heartbeats__, broker id -> last call (ms, caller's clock)
-- KEYS[2]  stats        hash   counters: workers (that held ack sets), messages, poisoned, queue:<name>, last_recovery (ms)
-- KEYS[3]  history      list   JSON recoveries, newest first, capped at ARGV[4]
-- then, for the i-th queue named in ARGV:
-- KEYS[5i-1]  acks         set    <ns>:__acks__.<worker>.<queue>, redis ids fetched and not acked
-- KEYS[5i]    queue        list   <ns>:<queue>, redis ids ready to fetch
-- KEYS[5i+1]  payloads     hash   <ns>:<queue>.msgs, redis id -> message
-- KEYS[5i+2]  dead         zset   <ns>:<canonical queue>.XQ, redis id -> dead-letter time (ms)
-- KEYS[5i+3]  dead_msgs    hash   <ns>:<canonical queue>.XQ.msgs, redis id -> message
-- ARGV[1]  the dead worker's broker id
-- ARGV[2]  cutoff (ms): the worker is dead while its last heartbeat is at or before it
-- ARGV[3]  now (ms)
-- ARGV[4]  how many recoveries the history keeps
-- ARGV[5]  n, the number of queues
-- ARGV[6 .. 5+n]  queue names, in the order of the key groups
-- ARGV[6+n ..]    redis ids to dead-letter instead of putting back
--
-- Returns -1 when the worker called in since (it is alive), else
-- {{queue, count, ...} put back, {queue, redis id, ...} dead-lettered}.
local last = redis.call('ZSCORE', KEYS[1], ARGV[1])
if last and tonumber(last) > tonumber(ARGV[2]) then
  return -1
end

local now = tonumber(ARGV[3])
local queues = tonumber(ARGV[5])
local poison = {}
for i = 6 + queues, #ARGV do
  poison[ARGV[i]] = true
end

local moved_reply, poisoned_reply = {}, {}
local counts = {}
local total = 0
for q = 1, queues do
  local name = ARGV[5 + q]
  local base = 3 + (q - 1) * 5
  local acks, queue, payloads, dead, dead_msgs = KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], KEYS[base + 4], KEYS[base + 5]
  local moved = 0
  for _, id in ipairs(redis.call('SMEMBERS', acks)) do
    local payload = redis.call('HGET', payloads, id)
    if payload and poison[id] then
      redis.call('ZADD', dead, now, id)
      redis.call('HSET', dead_msgs, id, payload)
      redis.call('HDEL', payloads, id)
      redis.call('HINCRBY', KEYS[2], 'poisoned', 1)
      table.insert(poisoned_reply, name)
      table.insert(poisoned_reply, id)
    elseif payload then
      redis.call('RPUSH', queue, id)
      moved = moved + 1
    end
  end
  redis.call('DEL', acks)
  if moved > 0 then
    counts[name] = moved
    total = total + moved
    redis.call('HINCRBY', KEYS[2], 'queue:' .. name, moved)
    table.insert(moved_reply, name)
    table.insert(moved_reply, moved)
  end
end

redis.call('ZREM', KEYS[1], ARGV[1])
if queues > 0 then
  -- A process that held ack sets consumed: a worker, not a web process that only enqueued.
  redis.call('HINCRBY', KEYS[2], 'workers', 1)
end
if total > 0 then
  redis.call('HINCRBY', KEYS[2], 'messages', total)
  redis.call('HSET', KEYS[2], 'last_recovery', now)
  local record = {at = now, worker = ARGV[1], kind = 'dead worker', queues = counts}
  redis.call('LPUSH', KEYS[3], cjson.encode(record))
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[4]) - 1)
end
return {moved_reply, poisoned_reply}
