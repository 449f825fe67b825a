-- Claim one tick of one entry, once across all processes, and move the entry's cursor up to it.
--
-- KEYS[1]  tick   string  owner of the claim; expires after ARGV[3] seconds
-- KEYS[2]  entry  hash    cursor (last tick handled, epoch seconds), last, paused
-- KEYS[3]  stats  hash    claims_lost (ticks another process had claimed first)
-- ARGV[1]  the tick, in epoch seconds
-- ARGV[2]  owner of the claim (host:pid)
-- ARGV[3]  lifetime of the claim, in seconds
--
-- Returns 1 when the caller claimed the tick and must send it, 0 when another process had.
local cursor = tonumber(redis.call('HGET', KEYS[2], 'cursor') or '0')
if tonumber(ARGV[1]) > cursor then
  redis.call('HSET', KEYS[2], 'cursor', ARGV[1])
end
if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'EX', ARGV[3]) then
  return 1
end
redis.call('HINCRBY', KEYS[3], 'claims_lost', 1)
return 0
