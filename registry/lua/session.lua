-- session: look up an admin console session, check its timeouts and its
-- admin, and record the visit, in one round trip. An expired session, or one
-- whose admin was disabled, is deleted here: it ends at once, whatever the
-- cookie says. Standalone: no prelude.
-- KEYS[1] the session key (by the SHA-256 of its id); ARGV[1] the key prefix,
-- [2] now (unix ms), [3] idle timeout (ms), [4] absolute timeout (ms).
-- Returns {'none'}, {'expired'}, {'disabled'} or {'ok', session, admin}.
local now, idle, absolute = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local flat = redis.call('HGETALL', KEYS[1])
if #flat == 0 then return {'none'} end
local s = {}
for i = 1, #flat, 2 do s[flat[i]] = flat[i + 1] end
local created, seen = tonumber(s.created_at or '0'), tonumber(s.seen_at or '0')
if now - seen > idle or now - created > absolute then
  redis.call('DEL', KEYS[1])
  return {'expired'}
end
local admin = redis.call('HGETALL', ARGV[1] .. 'admin:' .. (s.admin or ''))
local status = ''
for i = 1, #admin, 2 do if admin[i] == 'status' then status = admin[i + 1] end end
if status ~= 'ACTIVE' then
  redis.call('DEL', KEYS[1])
  return {'disabled'}
end
-- Redis's own expiry only collects abandoned sessions; the checks above,
-- on the registry's clock, are what end them.
redis.call('PEXPIRE', KEYS[1], idle)
redis.call('HSET', KEYS[1], 'seen_at', ARGV[2])
return {'ok', redis.call('HGETALL', KEYS[1]), admin}
