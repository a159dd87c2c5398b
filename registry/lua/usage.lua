-- usage: record a batch of key usage counted in a replica's memory, in one
-- round trip: each key's requests are added to the hourly bucket of its last
-- use, and its last_used_at keeps the latest time. Keys that do not exist are
-- skipped, so a stale batch never creates records. Buckets expire on their
-- own once no "last 24 h" sum reads them. Not a change of the key: no
-- generation bump, no event, no audit entry. Standalone: no prelude.
-- KEYS[1] the keys index (routes the script to the workspace's slot);
-- ARGV[1] the key prefix, then per key: id, hour (unix hours), count,
-- last use (unix ms), the bucket's time to live (ms).
local n = 0
for i = 2, #ARGV, 5 do
  local id, hour, count, last, ttl = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local kk = ARGV[1] .. 'key:' .. id
  if redis.call('EXISTS', kk) == 1 then
    local bucket = ARGV[1] .. 'usage:' .. hour
    redis.call('HINCRBY', bucket, id, count)
    redis.call('PEXPIRE', bucket, ttl)
    local prev = tonumber(redis.call('HGET', kk, 'last_used_at') or '0')
    if tonumber(last) > prev then redis.call('HSET', kk, 'last_used_at', last) end
    n = n + 1
  end
end
return n
