-- file_change: an admin files an edit or a revocation of an existing key. At
-- most one request is pending per key, so approvers always vote on the state
-- they saw. A revocation suspends the key at once and remembers the status to
-- restore if it does not pass.
-- ARGV[3] actor, [4] key id, [5] request id, [6] kind (edit|revoke),
-- [7] quorum, [8] expiry in unix ms, [9] new name ('' keeps it),
-- [10] new entities ('' keeps them), [11] new rate limit ('' keeps it,
-- 'default' returns to the gateway's, else 'N/s' or 'N/m'), [12] its burst,
-- [13] client certificate ('' keeps it, 'none' unbinds, else its hex SHA-256).
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
  local new_cert = ''
  if kind == 'edit' then
    new_name = ARGV[9] ~= '' and ARGV[9] or k.name
    new_entities = ARGV[10] ~= '' and ARGV[10] or k.entities
    new_rate = ARGV[11]
    new_burst = new_rate == 'default' and '' or ARGV[12]
    new_cert = ARGV[13] or ''
    local rate_same = new_rate == '' or
      (new_rate == (k.rate or 'default') and new_burst == (k.burst or ''))
    local cert_same = new_cert == '' or new_cert == (k.client_cert or 'none')
    if new_name == k.name and new_entities == k.entities and rate_same and cert_same then
      throw('RGINVALID', 'the edit changes nothing: name, entities, rate limit and client certificate are already as given')
    end
    -- The diff shows the rate limit and the certificate only when they change.
    local rate_b, burst_b, rate_a, burst_a, cert_b, cert_a
    if new_rate ~= '' then rate_b, burst_b, rate_a, burst_a = k.rate or 'default', k.burst, new_rate, new_burst end
    if new_cert ~= '' then cert_b, cert_a = k.client_cert or 'none', new_cert end
    before = state_json(k.name, k.entities, nil, rate_b, burst_b, cert_b)
    after = state_json(new_name, new_entities, nil, rate_a, burst_a, cert_a)
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
  if new_cert ~= '' then redis.call('HSET', rkey(rid), 'new_cert', new_cert) end
  if kind == 'revoke' then
    redis.call('HSET', kkey(kid), 'status', 'SUSPENDED', 'before_revoke', k.status)
  end
  bump(kid)
  audit('request.create', a.id, a.name, kid, rid, snap, snapshot(kid, rid))
  return records(kid, rid)
end
