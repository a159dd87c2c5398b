-- publish_event sends body (a JSON object) on the workspace's events channel
-- as one link of the channel's chain: "mid" names the message (a counter and
-- the master's clock, so that two masters that diverged after a failover
-- never name a message alike) and "prev" is the mid of the message before
-- it. A subscriber that hears a message whose prev is not the last mid it
-- heard has missed one (a failover, a resynchronised replica, a dropped
-- cluster link) and must stop trusting what it cached (registry/watch.go).
-- P is the key prefix "rg:{<workspace>}:".
local function publish_event(P, body)
  local k = P .. 'events:last'
  local prev = redis.call('GET', k) or ''
  local n = tonumber(string.match(prev, '^(%d+)%.') or '0') + 1
  local t = redis.call('TIME')
  local mid = n .. '.' .. t[1] .. string.format('%06d', tonumber(t[2]))
  redis.call('SET', k, mid)
  redis.call('PUBLISH', P .. 'events', '{"mid":"' .. mid .. '","prev":"' .. prev .. '",' .. string.sub(body, 2))
end
