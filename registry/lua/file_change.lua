-- file_change: an admin files an edit or a revocation of an existing key. At
-- most one request is pending per key, so approvers always vote on the state
-- they saw. A revocation suspends the key at once and remembers the status to
-- restore if it does not pass.
-- ARGV[3] actor, [4] key id, [5] request id, [6] kind (edit|revoke),
-- [7] quorum, [8] expiry in unix ms, [9] new name ('' keeps it),
-- [10] new entities ('' keeps them), [11] new rate limit ('' keeps it,
-- 'default' returns to the gateway's, else 'N/s' or 'N/m'), [12] its burst.
local function main()
  local actor, kid, rid, kind = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
  local quorum, expires = tonumber(ARGV[7]), ARGV[8]
  expire_key(kid)
  local k = load(kkey(kid))
  if not k then throw('RGNOTFOUND', 'no key ' .. kid) end
  local a = active_admin(actor)
  if k.pending then throw('RGCONFLICT', 'key ' .. kid .. ' already has pending request ' .. k.pending) end
  if k.status ~= 'PENDING_SECRET' and k.status ~= 'ACTIVE' and k.status ~= 'SUSPENDED' then
    throw('RGCONFLICT', 'key ' .. kid .. ' is ' .. k.status)
  end
  local before, after, new_name, new_entities, new_rate, new_burst = '', '', '', '', '', ''
  if kind == 'edit' then
    new_name = ARGV[9] ~= '' and ARGV[9] or k.name
    new_entities = ARGV[10] ~= '' and ARGV[10] or k.entities
    new_rate = ARGV[11]
    new_burst = new_rate == 'default' and '' or ARGV[12]
    local rate_same = new_rate == '' or
      (new_rate == (k.rate or 'default') and new_burst == (k.burst or ''))
    if new_name == k.name and new_entities == k.entities and rate_same then
      throw('RGINVALID', 'the edit changes nothing: name, entities and rate limit are already as given')
    end
    before, after = state_json(k.name, k.entities, nil), state_json(new_name, new_entities, nil)
    if new_rate ~= '' then
      before = state_json(k.name, k.entities, nil, k.rate or 'default', k.burst)
      after = state_json(new_name, new_entities, nil, new_rate, new_burst)
    end
  else
    before, after = state_json(nil, nil, k.status), state_json(nil, nil, 'REVOKED')
  end
  check_quorum(actor, quorum)
  if redis.call('EXISTS', rkey(rid)) > 0 then throw('RGCONFLICT', 'identifier already in use') end
  local snap = snapshot(kid, '')
  file_request(a, kind, kid, rid, quorum, expires, before, after, new_name, new_entities)
  if new_rate ~= '' then
    redis.call('HSET', rkey(rid), 'new_rate', new_rate, 'new_burst', new_burst)
  end
  if kind == 'revoke' then
    redis.call('HSET', kkey(kid), 'status', 'SUSPENDED', 'before_revoke', k.status)
  end
  bump(kid)
  audit('request.create', a.id, a.name, kid, rid, snap, snapshot(kid, rid))
  return records(kid, rid)
end
