-- Put back delayed messages that a live worker process holds in its ack set but no longer in memory.
--
-- Dramatiq's consumer empties its in-memory delay queue after a connection error; the ids stay
-- in the process's ack set of <queue>.DQ, where nothing would ever move them. The caller has
-- picked ids overdue by more than the heartbeat timeout; each still in the ack set goes back
-- to the delay queue, where a consumer fetches it and, being due, releases it at once.
--
-- KEYS[1]  acks      set   <ns>:__acks__.<worker>.<queue>.DQ
-- KEYS[2]  queue     list  <ns>:<queue>.DQ
-- KEYS[3]  payloads  hash  <ns>:<queue>.DQ.msgs
-- KEYS[4]  stats     hash  counters: stranded, queue:<name>, last_recovery (ms)
-- KEYS[5]  history   list  JSON recoveries, newest first, capped at ARGV[4]
-- ARGV[1]  the live worker's broker id
-- ARGV[2]  the delay queue's name
-- ARGV[3]  now (ms)
-- ARGV[4]  how many recoveries the history keeps
-- ARGV[5...] redis ids
--
-- Returns how many ids went back.
local moved = 0
for i = 5, #ARGV do
  if redis.call('SREM', KEYS[1], ARGV[i]) == 1 and redis.call('HEXISTS', KEYS[3], ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[i])
    moved = moved + 1
  end
end

if moved > 0 then
  local now = tonumber(ARGV[3])
  redis.call('HINCRBY', KEYS[4], 'stranded', moved)
  redis.call('HINCRBY', KEYS[4], 'messages', moved)
  redis.call('HINCRBY', KEYS[4], 'queue:' .. ARGV[2], moved)
  redis.call('HSET', KEYS[4], 'last_recovery', now)
  local counts = {}
  counts[ARGV[2]] = moved
  local record = {at = now, worker = ARGV[1], kind = 'stranded delayed', queues = counts}
  redis.call('LPUSH', KEYS[5], cjson.encode(record))
  redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[4]) - 1)
end
return moved
