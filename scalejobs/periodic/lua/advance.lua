-- Move an entry's cursor past ticks that will not be sent, if nobody moved it since the caller read it.
--
-- KEYS[1]  entry    hash  cursor (last tick handled, epoch seconds), last, paused
-- KEYS[2]  history  list  JSON tick records, newest first, capped at ARGV[4]
-- ARGV[1]  the cursor the caller read
-- ARGV[2]  the new cursor
-- ARGV[3]  JSON record to add to the history, or '' for none
-- ARGV[4]  how many history records to keep
--
-- Returns 1 when moved, 0 when another process moved the cursor first.
if redis.call('HGET', KEYS[1], 'cursor') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'cursor', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[3])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
end
return 1
