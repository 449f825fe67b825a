-- Take, or renew, the unique lock of one message and enqueue it in the same
-- call, on the dispatch broker: one round trip where the lock and the send
-- took two. A fresh message that another message's lock refuses is not sent.
--
-- The lock half is acquire.lua; the enqueue half is the dispatch broker's
-- enqueue.lua for one message (tests/unit/unique/test_enqueue_script.py
-- holds both halves to their twins).
--
-- KEYS[1]  <ns>:<queue>                 list  redis message ids, fetched from the left
-- KEYS[2]  <ns>:<queue>.msgs            hash  redis message id -> encoded message
-- KEYS[3]  <ns>:__heartbeats__          zset  broker id -> time of its last call (ms)
-- KEYS[4]  <ns>:__wakeups__.<queue>     list  at most one token; idle consumers BLPOP it
-- KEYS[5]  lock   hash  {owner = message id, actor, label}; expires with the lock
-- KEYS[6]  index  zset  digest -> expiry (ms since the epoch), for the admin listing
-- ARGV[1]  now (ms, the caller's clock, as Dramatiq stamps heartbeats)
-- ARGV[2]  the caller's broker id
-- ARGV[3]  the redis message id
-- ARGV[4]  the encoded message
-- ARGV[5]  lock now: ms since the epoch, or "" to use the Redis server's clock
-- ARGV[6]  owner  the message id asking for the lock
-- ARGV[7]  ttl    ms the lock lives from now
-- ARGV[8]  digest the identity's digest: the index member naming KEYS[5]
-- ARGV[9]  actor  actor name, shown in the admin
-- ARGV[10] label  readable identity, shown in the admin
-- ARGV[11] "1" when a lock held by another message stops the send (a fresh
--          message), "0" when the message is sent anyway (its own re-send)
-- Returns  the message id holding the lock afterwards (ARGV[6] when taken or
--          renewed); the message was sent unless that is another id and ARGV[11] is "1"

local now = tonumber(ARGV[5])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local ttl = tonumber(ARGV[7])

local holder = redis.call('HGET', KEYS[5], 'owner')
if holder and holder ~= ARGV[6] then
  if ARGV[11] == '1' then
    return holder
  end
else
  if not holder then
    redis.call('HSET', KEYS[5], 'owner', ARGV[6], 'actor', ARGV[9], 'label', ARGV[10])
  end
  redis.call('PEXPIRE', KEYS[5], ttl)
  redis.call('ZADD', KEYS[6], now + ttl, ARGV[8])
  -- Locks that expired on their own leave their index entry behind; drop those.
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. now)
  holder = ARGV[6]
end

redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('RPUSH', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
if redis.call('LLEN', KEYS[4]) == 0 then
  redis.call('RPUSH', KEYS[4], '1')
end
return holder
