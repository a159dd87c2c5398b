-- admin_change: create or disable an admin account. Only the SHA-256 of the
-- admin's bearer token is stored, as the name of its index key. Names are
-- unique (ASCII case aside) for good: a disabled admin's name stays taken,
-- so the audit log never shows two admins under one name. Disabling
-- withdraws the admin's approvals of pending requests (they stay listed, not
-- counted); the audit entry names those requests.
-- ARGV[3] actor label, [4] create|disable, [5] admin id, [6] name, [7] token hash.
local function main()
  local actor, verb, id, name, hash = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
  local before = admin_snapshot(id)
  if verb == 'create' then
    if redis.call('EXISTS', akey(id), P .. 'admintoken:' .. hash) > 0 then
      throw('RGCONFLICT', 'identifier already in use')
    end
    if redis.call('SET', P .. 'adminname:' .. string.lower(name), id, 'NX') == false then
      throw('RGCONFLICT', 'an admin named ' .. name .. ' exists already: choose another name')
    end
    redis.call('SET', P .. 'admintoken:' .. hash, id)
    redis.call('HSET', akey(id), 'id', id, 'name', name, 'status', 'ACTIVE', 'token_hash', hash, 'created_at', NOW)
    redis.call('ZADD', P .. 'admins', 0, id)
    redis.call('SADD', P .. 'admins:active', id)
  else
    local a = load(akey(id))
    if not a then throw('RGNOTFOUND', 'no admin ' .. id) end
    if a.status ~= 'ACTIVE' then throw('RGCONFLICT', 'admin ' .. id .. ' is already disabled') end
    redis.call('HSET', akey(id), 'status', 'DISABLED', 'disabled_at', NOW)
    redis.call('SREM', P .. 'admins:active', id)
    local withdrawn = withdraw_approvals(id)
    if #withdrawn > 0 then
      local after = admin_snapshot(id)
      after = string.sub(after, 1, -2) .. ',"approvals_withdrawn":' .. cjson.encode(withdrawn) .. '}'
      audit('admin.' .. verb, actor, actor, '', '', before, after)
      return redis.call('HGETALL', akey(id))
    end
  end
  audit('admin.' .. verb, actor, actor, '', '', before, admin_snapshot(id))
  return redis.call('HGETALL', akey(id))
end
