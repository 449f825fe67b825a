-- Let one message run a batch's callback: the first to ask, and its redeliveries.
--
-- The sweep may send a fired callback a second time if its first sender
-- died between sending it and saying so; whichever copy runs first claims
-- the callback and the other is skipped.
--
-- KEYS[1] batch hash (see open.lua); field claim:<kind> -> message id
-- ARGV[1] kind, ARGV[2] message id
-- Returns the id of the message that holds the claim (ARGV[2] when the batch expired).
local batch = KEYS[1]
if redis.call("EXISTS", batch) == 0 then
  return ARGV[2]
end
local field = "claim:" .. ARGV[1]
redis.call("HSETNX", batch, field, ARGV[2])
return redis.call("HGET", batch, field)
