-- Keep the longest of the values written to one hash field.
--
-- KEYS[1]  hash   a per-minute metrics hash, <prefix>:dashboard:minute:<epoch minute>
-- ARGV[1]  the field
-- ARGV[2]  the value just measured (an integer)
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if tonumber(ARGV[2]) > current then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
return 0
