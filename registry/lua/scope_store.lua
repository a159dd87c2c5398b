-- scope_store: share an entity snapshot, but only if no invalidation
-- happened since the caller read the version (ARGV[1]): a snapshot read
-- from the upstream before a change must not outlive the change.
-- KEYS[1] the version key, KEYS[2] the snapshot key (same hash tag).
-- ARGV: version seen, snapshot JSON, TTL in milliseconds. Returns 1 if kept.
local current = redis.call('GET', KEYS[1]) or '0'
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
