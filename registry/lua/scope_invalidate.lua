-- scope_invalidate: every shared snapshot becomes unusable (their keys
-- carry the version, so bumping it orphans them; they expire by TTL), and
-- every replica hears which entities to drop from its own cache.
-- KEYS[1] the version key; ARGV[1] the key prefix P, ARGV[2] the event.
local v = redis.call('INCR', KEYS[1])
publish_event(ARGV[1], ARGV[2])
return v
