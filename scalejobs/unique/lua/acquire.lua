-- Take, or renew, the unique lock of one job identity for one message.
--
-- The lock belongs to a message id: a message that already owns it (its own
-- retry, delay move or postponement) renews it; any other message is refused
-- and told who holds it.
--
-- KEYS[1]  lock   hash  {owner = message id, actor, label}; expires with the lock
-- KEYS[2]  index  zset  digest -> expiry (ms since the epoch), for the admin listing
-- ARGV[1]  now    ms since the epoch, or "" to use the Redis server's clock
-- ARGV[2]  owner  the message id asking for the lock
-- ARGV[3]  ttl    ms the lock lives from now
-- ARGV[4]  digest the identity's digest: the index member naming KEYS[1]
-- ARGV[5]  actor  actor name, shown in the admin
-- ARGV[6]  label  readable identity, shown in the admin
-- Returns  the message id holding the lock afterwards (ARGV[2] when taken or renewed)

local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local ttl = tonumber(ARGV[3])

local holder = redis.call('HGET', KEYS[1], 'owner')
if holder and holder ~= ARGV[2] then
  return holder
end

if not holder then
  redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'actor', ARGV[5], 'label', ARGV[6])
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[4])
-- Locks that expired on their own leave their index entry behind; drop those.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
return ARGV[2]
