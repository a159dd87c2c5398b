-- probe: a replica proves its own subscription alive by hearing this
-- message, published through the chain like every event (registry/watch.go),
-- and renews its place among the live replicas (registry/replicas.go): the
-- sorted set P replicas holds each replica's name scored by the time, on
-- Redis's clock, until which it counts as live.
-- KEYS[1] P events:last (routes the script to the workspace's slot);
-- ARGV[1] the key prefix P, [2] the replica's nonce (hex), [3] the replica's
-- name, [4] how long it counts as live after this probe (ms).
publish_event(ARGV[1], '{"type":"probe","nonce":"' .. ARGV[2] .. '"}')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local live = ARGV[1] .. 'replicas'
redis.call('ZREMRANGEBYSCORE', live, '-inf', now)
redis.call('ZADD', live, now + tonumber(ARGV[4]), ARGV[3])
return 1
