-- reveal: the requester of an approved key stores the hash of the secret Go
-- just generated. The check and the write are one script, so of concurrent
-- reveals exactly one stores its hash and every other one is told GONE.
-- ARGV[3] actor, [4] key id, [5] hex SHA-256 of the secret, [6] display prefix.
local function main()
  local actor, kid, hash, prefix = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
  expire_key(kid)
  local k = load(kkey(kid))
  if not k then throw('RGNOTFOUND', 'no key ' .. kid) end
  local a = active_admin(actor)
  if k.created_by ~= actor then throw('RGFORBIDDEN', 'only the admin who requested key ' .. kid .. ' may reveal it') end
  if k.hash then throw('RGGONE', 'the secret of key ' .. kid .. ' was already revealed') end
  if k.status ~= 'PENDING_SECRET' then throw('RGCONFLICT', 'key ' .. kid .. ' is ' .. k.status) end
  if redis.call('EXISTS', P .. 'keyhash:' .. hash) == 1 then throw('RGCONFLICT', 'secret collision, retry') end
  local before = snapshot(kid, '')
  redis.call('SET', P .. 'keyhash:' .. hash, kid)
  redis.call('HSET', kkey(kid), 'hash', hash, 'prefix', prefix, 'revealed_at', NOW, 'status', 'ACTIVE')
  bump(kid)
  audit('key.reveal', a.id, a.name, kid, '', before, snapshot(kid, ''))
  return records(kid, '')
end
