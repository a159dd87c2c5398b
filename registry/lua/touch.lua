-- touch: record last use of several keys in one round trip, keeping the
-- latest time and never creating a record. Not a change of the key: no
-- generation bump, no event, no audit entry. Standalone: no prelude.
-- ARGV[1] the key prefix, then pairs of key id and unix ms.
local n = 0
for i = 2, #ARGV, 2 do
  local kk = ARGV[1] .. 'key:' .. ARGV[i]
  if redis.call('EXISTS', kk) == 1 then
    local last = tonumber(redis.call('HGET', kk, 'last_used_at') or '0')
    if tonumber(ARGV[i + 1]) > last then
      redis.call('HSET', kk, 'last_used_at', ARGV[i + 1])
      n = n + 1
    end
  end
end
return n
