-- list: one page of an index, newest first, after expiring due requests so no
-- listed request is stale. Indexes are sorted sets with score 0 ordered by
-- member, and identifiers begin with their creation time, so BYLEX REV is
-- newest first and a cursor (the last identifier seen) stays valid while new
-- records arrive.
-- ARGV[3] index (keys | reqs:all | reqs:<STATUS> | admins), [4] record prefix
-- (key: | req: | admin:), [5] cursor ('' for the first page), [6] limit.
local function main()
  local index, rec, cursor, limit = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
  expire_due(1000)
  local max = '+'
  if cursor ~= '' then max = '(' .. cursor end
  local ids = redis.call('ZRANGE', P .. index, max, '-', 'BYLEX', 'REV', 'LIMIT', 0, limit + 1)
  local out = {}
  for i, id in ipairs(ids) do out[i] = redis.call('HGETALL', P .. rec .. id) end
  return out
end
