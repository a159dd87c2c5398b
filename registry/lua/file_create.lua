-- file_create: an admin files a creation request. The key record is born in
-- PENDING_APPROVAL with no secret; generation 1 is its first event.
-- ARGV[3] actor, [4] key id, [5] request id, [6] name, [7] entities (canonical
-- JSON array), [8] quorum, [9] expiry in unix ms, [10] the hex SHA-256 of the
-- client certificate the key is bound to ('' for none).
local function main()
  local actor, kid, rid, name, entities = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
  local quorum, expires, cert = tonumber(ARGV[8]), ARGV[9], ARGV[10]
  local a = active_admin(actor)
  check_quorum(actor, quorum)
  if redis.call('EXISTS', kkey(kid), rkey(rid)) > 0 then throw('RGCONFLICT', 'identifier already in use') end
  redis.call('HSET', kkey(kid), 'id', kid, 'name', name, 'entities', entities, 'status', 'PENDING_APPROVAL',
    'gen', 0, 'created_by', actor, 'created_by_name', a.name, 'created_at', NOW)
  if cert ~= '' then redis.call('HSET', kkey(kid), 'client_cert', cert) end
  redis.call('ZADD', P .. 'keys', 0, kid)
  local after = state_json(name, entities, nil, nil, nil, cert ~= '' and cert or nil)
  file_request(a, 'create', kid, rid, quorum, expires, '{}', after, name, entities)
  bump(kid)
  audit('request.create', a.id, a.name, kid, rid, snapshot('', ''), snapshot(kid, rid))
  return records(kid, rid)
end
