-- key_by_hash: the proxy's lookup on a cache miss, in one round trip and
-- without writes (no lazy expiry here: a revocation that expires unnoticed
-- leaves the key SUSPENDED, the safe side, until ExpireDue or any admin read
-- restores it). Standalone: no prelude.
-- KEYS[1] the hash index key; ARGV[1] the key prefix. Returns nil if unknown.
local id = redis.call('GET', KEYS[1])
if not id then return nil end
local rec = redis.call('HGETALL', ARGV[1] .. 'key:' .. id)
if #rec == 0 then return nil end
return rec
