-- admin_by_token: resolve an admin from the SHA-256 of their token, in one
-- round trip. Standalone: no prelude.
-- KEYS[1] the token index key; ARGV[1] the key prefix. Returns nil if unknown.
local id = redis.call('GET', KEYS[1])
if not id then return nil end
local rec = redis.call('HGETALL', ARGV[1] .. 'admin:' .. id)
if #rec == 0 then return nil end
return rec
