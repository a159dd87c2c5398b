-- claim_jobs: take up to ARGV[3] jobs due by ARGV[1] (unix ms) and lease
-- them until ARGV[2]: their score moves there, so no other replica takes
-- them meanwhile, and a deliverer that dies gives them back by itself.
-- KEYS[1] the jobs zset. Returns the job ids.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], ARGV[2], id)
end
return ids
