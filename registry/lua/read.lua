-- read: one key or one request, expiring its pending request first when due
-- (expiry is lazy on every read). Returns nil when it does not exist.
-- ARGV[3] key|req, [4] id.
local function main()
  local kind, id = ARGV[3], ARGV[4]
  if kind == 'key' then
    expire_key(id)
    if redis.call('EXISTS', kkey(id)) == 0 then return nil end
    return records(id, '')
  end
  expire_if_due(id)
  local kid = redis.call('HGET', rkey(id), 'key')
  if not kid then return nil end
  return records(kid, id)
end
