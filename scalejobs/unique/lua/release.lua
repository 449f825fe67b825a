-- Release unique locks, each only if the given message still owns it.
--
-- KEYS[1]     index  zset  digest -> expiry (ms since the epoch)
-- KEYS[1+i]   lock i hash  {owner = message id, actor, label}
-- ARGV[2i-1]  owner  the message id releasing lock i
-- ARGV[2i]    digest the index member naming lock i
-- Returns     how many locks were released (a lock another message holds is left alone)

local released = 0
for i = 2, #KEYS do
  local owner, digest = ARGV[2 * i - 3], ARGV[2 * i - 2]
  local holder = redis.call('HGET', KEYS[i], 'owner')
  if holder == owner then
    redis.call('DEL', KEYS[i])
    redis.call('ZREM', KEYS[1], digest)
    released = released + 1
  elseif not holder then
    redis.call('ZREM', KEYS[1], digest)
  end
end
return released
