-- suspend / unsuspend: any active admin, immediate, no quorum. Unsuspending is
-- refused while a revocation is pending. Suspending a key whose revocation is
-- pending (it is already suspended) makes a rejected revocation keep it
-- suspended instead of reactivating it.
-- ARGV[3] actor, [4] key id, [5] suspend|unsuspend.
local function pending_kind(k)
  if not k.pending then return nil end
  return redis.call('HGET', rkey(k.pending), 'kind')
end

local function main()
  local actor, kid, verb = ARGV[3], ARGV[4], ARGV[5]
  expire_key(kid)
  local k = load(kkey(kid))
  if not k then throw('RGNOTFOUND', 'no key ' .. kid) end
  local a = active_admin(actor)
  local revoking = pending_kind(k) == 'revoke'
  local before = snapshot(kid, '')
  if verb == 'suspend' then
    if revoking and k.before_revoke == 'ACTIVE' then
      redis.call('HSET', kkey(kid), 'before_revoke', 'SUSPENDED')
    elseif k.status == 'ACTIVE' then
      redis.call('HSET', kkey(kid), 'status', 'SUSPENDED')
    else
      throw('RGCONFLICT', 'key ' .. kid .. ' is ' .. k.status .. ', only an ACTIVE key can be suspended')
    end
  else
    if revoking then throw('RGCONFLICT', 'key ' .. kid .. ' has pending revocation ' .. k.pending) end
    if k.status ~= 'SUSPENDED' then
      throw('RGCONFLICT', 'key ' .. kid .. ' is ' .. k.status .. ', only a SUSPENDED key can be unsuspended')
    end
    redis.call('HSET', kkey(kid), 'status', 'ACTIVE')
  end
  bump(kid)
  audit('key.' .. verb, a.id, a.name, kid, '', before, snapshot(kid, ''))
  return records(kid, '')
end
