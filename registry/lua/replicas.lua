-- replicas: the names of the live replicas, those whose last probe counts
-- them live until a time still to come on Redis's clock (probe.lua writes
-- the set on the same clock, so the replicas' own clocks never matter).
-- Read only. KEYS[1] P replicas.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
