-- Put a dead worker process's unacknowledged messages back at the head of their queues, and forget the process.
--
-- The move of the maintenance pass of Dramatiq's dispatch.lua, for every queue at once and to the
-- head of the queue (the messages were fetched first): an id whose payload is still stored goes
-- back; the ack set goes, so Dramatiq's own maintenance finds nothing left to redeliver.
-- An id named poisoned (its workers kept dying under it) is dead-lettered instead, as a nack does.
--
-- KEYS[1]  liveness     zset   what the death was judged by: scalejobs pulses (Redis time) or
--                              Dramatiq's <ns>:__heartbeats__ (caller's clock), broker id -> last sign (ms)
-- KEYS[2]  heartbeats   zset   Dramatiq's <ns>:__heartbeats__; the process leaves it, as Dramatiq's
--                              maintenance removes a dead worker once its ack sets are gone
-- KEYS[3]  presumed     string left for the process to read if it was only paused (pulses only)
-- KEYS[4]  stats        hash   counters: workers, messages, poisoned, queue:<name>, last_recovery,
--                              timed, delay_ms_total, delay_ms_max
-- KEYS[5]  history      list   JSON recoveries, newest first, capped at ARGV[4]
-- then, for the i-th queue named in ARGV:
-- KEYS[5i+1]  acks         set    <ns>:__acks__.<worker>.<queue>, redis ids fetched and not acked
-- KEYS[5i+2]  queue        list   <ns>:<queue>, redis ids ready to fetch
-- KEYS[5i+3]  payloads     hash   <ns>:<queue>.msgs, redis id -> message
-- KEYS[5i+4]  dead         zset   <ns>:<canonical queue>.XQ, redis id -> dead-letter time (ms)
-- KEYS[5i+5]  dead_msgs    hash   <ns>:<canonical queue>.XQ.msgs, redis id -> message
-- ARGV[1]  the dead worker's broker id
-- ARGV[2]  cutoff (ms): the worker is dead while its last sign of life is at or before it
-- ARGV[3]  now (ms, the clock of KEYS[1])
-- ARGV[4]  how many recoveries the history keeps
-- ARGV[5]  n, the number of queues
-- ARGV[6]  what judged the death: "pulse" or "heartbeat"
-- ARGV[7]  how long (ms) the presumed-dead note waits for the process; 0 leaves none
-- ARGV[8 .. 7+n]  queue names, in the order of the key groups
-- ARGV[8+n ..]    redis ids to dead-letter instead of putting back
--
-- Returns -1 when the worker called in since (it is alive), else
-- {{queue, count, ...} put back, {queue, redis id, ...} dead-lettered, delay ms}.
local last = redis.call('ZSCORE', KEYS[1], ARGV[1])
if last and tonumber(last) > tonumber(ARGV[2]) then
  return -1
end

local now = tonumber(ARGV[3])
local queues = tonumber(ARGV[5])
local poison = {}
for i = 8 + queues, #ARGV do
  poison[ARGV[i]] = true
end

local moved_reply, poisoned_reply = {}, {}
local counts = {}
local total, poisoned = 0, 0
for q = 1, queues do
  local name = ARGV[7 + q]
  local base = 5 + (q - 1) * 5
  local acks, queue, payloads, dead, dead_msgs = KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], KEYS[base + 4], KEYS[base + 5]
  local moved = 0
  for _, id in ipairs(redis.call('SMEMBERS', acks)) do
    local payload = redis.call('HGET', payloads, id)
    if payload and poison[id] then
      redis.call('ZADD', dead, now, id)
      redis.call('HSET', dead_msgs, id, payload)
      redis.call('HDEL', payloads, id)
      redis.call('HINCRBY', KEYS[4], 'poisoned', 1)
      poisoned = poisoned + 1
      table.insert(poisoned_reply, name)
      table.insert(poisoned_reply, id)
    elseif payload then
      redis.call('LPUSH', queue, id)
      moved = moved + 1
    end
  end
  redis.call('DEL', acks)
  if moved > 0 then
    counts[name] = moved
    total = total + moved
    redis.call('HINCRBY', KEYS[4], 'queue:' .. name, moved)
    table.insert(moved_reply, name)
    table.insert(moved_reply, moved)
  end
end

redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local delay = -1
if last then
  delay = now - tonumber(last)
end
if total + poisoned > 0 then
  -- A process that held unacknowledged messages: a worker, not a web process that only enqueued.
  redis.call('HINCRBY', KEYS[4], 'workers', 1)
  if delay >= 0 then
    redis.call('HINCRBY', KEYS[4], 'timed', 1)
    redis.call('HINCRBY', KEYS[4], 'delay_ms_total', delay)
    local longest = tonumber(redis.call('HGET', KEYS[4], 'delay_ms_max') or '0')
    if delay > longest then
      redis.call('HSET', KEYS[4], 'delay_ms_max', delay)
    end
  end
  if tonumber(ARGV[7]) > 0 then
    redis.call('SET', KEYS[3], cjson.encode({at = now, last = tonumber(last or now), messages = total + poisoned}), 'PX', ARGV[7])
  end
end
if total > 0 then
  redis.call('HINCRBY', KEYS[4], 'messages', total)
  redis.call('HSET', KEYS[4], 'last_recovery', now)
  local record = {at = now, worker = ARGV[1], kind = 'dead worker', queues = counts, by = ARGV[6]}
  if delay >= 0 then
    record.delay_ms = delay
  end
  redis.call('LPUSH', KEYS[5], cjson.encode(record))
  redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[4]) - 1)
end
return {moved_reply, poisoned_reply, delay}
