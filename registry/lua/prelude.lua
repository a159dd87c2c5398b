-- Helpers shared by every state-changing script of the registry. Go builds
-- each script as sha256.lua .. events.lua .. prelude.lua .. <operation>.lua ..
-- postlude.lua, so one operation runs atomically with its audit entry and its
-- event.
--
-- Conventions: KEYS[1] is the workspace's audit stream (it only routes the
-- script to the workspace's Cluster slot; every key below shares its hash
-- tag). ARGV[1] is the key prefix "rg:{<workspace>}:", ARGV[2] the current
-- time in unix milliseconds from the registry's clock, and the operation's own
-- arguments follow from ARGV[3].
--
-- Every check runs before the first write: Redis does not roll a script back
-- when it raises, so a refused operation must leave nothing behind. The one
-- exception is lazy expiry, which is a complete transition of its own.

local P = ARGV[1]
local NOW = ARGV[2]
local NOWN = tonumber(NOW)

-- throw aborts the operation with a registry error code the Go side maps to
-- its sentinel (RGNOTFOUND, RGFORBIDDEN, RGCONFLICT, RGGONE, RGQUORUM,
-- RGINVALID). postlude.lua turns it into a plain error reply.
local function throw(code, msg) error({rg = code .. ' ' .. msg}) end

local function kkey(id) return P .. 'key:' .. id end
local function rkey(id) return P .. 'req:' .. id end
local function akey(id) return P .. 'admin:' .. id end

-- load reads a hash into a table, or nil when the key does not exist.
local function load(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function jstr(s) return cjson.encode(s or '') end

-- state_json is a request's diff side: only the fields given. rate is 'N/s',
-- 'N/m' or 'default'; burst (a decimal string) goes with an override; cert
-- is a client certificate's hex SHA-256 or 'none'.
local function state_json(name, entities, status, rate, burst, cert)
  local parts = {}
  if name then parts[#parts + 1] = '"name":' .. jstr(name) end
  if entities then parts[#parts + 1] = '"entities":' .. entities end
  if status then parts[#parts + 1] = '"status":' .. jstr(status) end
  if rate then parts[#parts + 1] = '"rate_limit":' .. jstr(rate) end
  if burst and burst ~= '' then parts[#parts + 1] = '"rate_limit_burst":' .. burst end
  if cert then parts[#parts + 1] = '"client_cert_sha256":' .. jstr(cert) end
  return '{' .. table.concat(parts, ',') .. '}'
end

local function key_json(k)
  if not k then return 'null' end
  local rate = ''
  if k.rate then rate = ',"rate_limit":' .. jstr(k.rate) .. ',"rate_limit_burst":' .. k.burst end
  local cert = ''
  if k.client_cert then cert = ',"client_cert_sha256":' .. jstr(k.client_cert) end
  return '{"id":' .. jstr(k.id) .. ',"name":' .. jstr(k.name) .. ',"entities":' .. k.entities ..
    ',"status":' .. jstr(k.status) .. ',"generation":' .. (k.gen or '0') ..
    ',"pending_request":' .. jstr(k.pending) .. rate .. cert .. '}'
end

local function req_json(r)
  if not r then return 'null' end
  return '{"id":' .. jstr(r.id) .. ',"kind":' .. jstr(r.kind) .. ',"status":' .. jstr(r.status) ..
    ',"approvals":' .. r.approvals .. ',"rejections":' .. r.rejections .. '}'
end

-- snapshot is the audit entry's before/after for a key and its request. It
-- carries no secret and no hash of one.
local function snapshot(kid, rid)
  local k, r = nil, nil
  if kid ~= '' then k = load(kkey(kid)) end
  if rid ~= '' then r = load(rkey(rid)) end
  return '{"key":' .. key_json(k) .. ',"request":' .. req_json(r) .. '}'
end

local function admin_snapshot(id)
  local a = load(akey(id))
  if not a then return '{"admin":null}' end
  return '{"admin":{"id":' .. jstr(a.id) .. ',"name":' .. jstr(a.name) .. ',"status":' .. jstr(a.status) .. '}}'
end

-- AUDIT_FIELDS is the canonical order hashed into each entry; registry/audit.go
-- holds the same list. Changing either breaks every existing chain.
local AUDIT_FIELDS = {'seq', 'prev', 'time', 'actor', 'actor_name', 'action', 'key', 'request', 'before', 'after'}

-- AUDIT_HEAD is "<seq> <hash>" of the last entry this script appended ('' when
-- none): postlude.lua returns it beside the result, so that the registry
-- remembers the head of what it acknowledged and can tell when a failover
-- lost acknowledged entries (the chain itself cannot: a lost tail takes its
-- head pointer with it).
local AUDIT_HEAD = ''

-- audit appends one hash-chained entry and moves the head pointer in the same
-- script, so a transition never exists without its entry and a removed tail
-- is visible (the head names a sequence number the stream no longer has).
local function audit(action, actor, actor_name, kid, rid, before, after)
  local head = redis.call('HMGET', P .. 'audit:head', 'seq', 'hash')
  local seq = tostring((tonumber(head[1]) or 0) + 1)
  local values = {seq, head[2] or '', NOW, actor, actor_name, action, kid, rid, before, after}
  local canon, entry = {'rg-audit-v1\n'}, {}
  for i, name in ipairs(AUDIT_FIELDS) do
    canon[#canon + 1] = name .. '=' .. #values[i] .. ':' .. values[i] .. '\n'
    entry[#entry + 1] = name
    entry[#entry + 1] = values[i]
  end
  local hash = sha256hex(table.concat(canon))
  entry[#entry + 1] = 'hash'
  entry[#entry + 1] = hash
  redis.call('XADD', P .. 'audit', '*', unpack(entry))
  redis.call('HSET', P .. 'audit:head', 'seq', seq, 'hash', hash)
  AUDIT_HEAD = seq .. ' ' .. hash
end

-- bump raises the key's generation and publishes the invalidation event every
-- gateway replica evicts on. The hash lets caches keyed by it evict too.
local function bump(kid)
  local kk = kkey(kid)
  local gen = redis.call('HINCRBY', kk, 'gen', 1)
  local hash = redis.call('HGET', kk, 'hash') or ''
  publish_event(P, '{"type":"key","id":' .. jstr(kid) .. ',"generation":' .. gen .. ',"hash":' .. jstr(hash) .. '}')
end

local function active_admin(id)
  local a = load(akey(id))
  if not a then throw('RGFORBIDDEN', 'unknown admin ' .. id) end
  if a.status ~= 'ACTIVE' then throw('RGFORBIDDEN', 'admin ' .. id .. ' is disabled') end
  return a
end

-- recount is the one place a quorum is evaluated: it counts the approvals
-- of a request that are given by admins still active, stores the count in
-- 'approvals' and returns it. An approval whose admin is no longer active
-- stays listed but is marked 'x:<admin id>' = the time it stopped counting,
-- and never counts again (admins are never re-enabled). Counting from the
-- votes rather than trusting the stored counter keeps an approval stored
-- before its admin was disabled from counting, whoever wrote it.
local function recount(rid)
  local flat = redis.call('HGETALL', rkey(rid))
  local n = 0
  for i = 1, #flat, 2 do
    local id = string.match(flat[i], '^a:(.+)$')
    if id then
      if redis.call('SISMEMBER', P .. 'admins:active', id) == 1 then
        n = n + 1
      else
        redis.call('HSETNX', rkey(rid), 'x:' .. id, NOW)
      end
    end
  end
  redis.call('HSET', rkey(rid), 'approvals', n)
  return n
end

-- withdraw_approvals recounts every pending request admin id approved, as
-- that admin is disabled; it returns their ids. A request that thereby
-- falls below its quorum stays pending: more approvals, an abort or its
-- expiry close it.
local function withdraw_approvals(id)
  local out = {}
  for _, rid in ipairs(redis.call('ZRANGE', P .. 'reqs:PENDING', 0, -1)) do
    if redis.call('HEXISTS', rkey(rid), 'a:' .. id) == 1 then
      recount(rid)
      out[#out + 1] = rid
    end
  end
  return out
end

-- check_quorum refuses a request the eligible admins (active, other than the
-- requester) could never approve.
local function check_quorum(actor, quorum)
  local eligible = redis.call('SCARD', P .. 'admins:active')
  if redis.call('SISMEMBER', P .. 'admins:active', actor) == 1 then eligible = eligible - 1 end
  if eligible < quorum then
    throw('RGQUORUM', 'a quorum of ' .. quorum .. ' approvals is unreachable: ' .. eligible ..
      ' active admin(s) besides the requester')
  end
end

-- close_request ends a pending request and applies its outcome to the key:
-- APPROVED applies the change; any other outcome undoes what filing did.
local function close_request(r, status, by)
  local kk = kkey(r.key)
  local before_revoke = redis.call('HGET', kk, 'before_revoke')
  redis.call('HSET', rkey(r.id), 'status', status, 'closed_at', NOW, 'closed_by', by)
  redis.call('ZREM', P .. 'reqs:PENDING', r.id)
  redis.call('ZREM', P .. 'reqs:due', r.id)
  redis.call('ZADD', P .. 'reqs:' .. status, 0, r.id)
  redis.call('HDEL', kk, 'pending')
  local approved = status == 'APPROVED'
  if r.kind == 'create' then
    redis.call('HSET', kk, 'status', approved and 'PENDING_SECRET' or 'ABORTED')
  elseif r.kind == 'revoke' then
    -- before_revoke is always set while a revocation is pending; if it were
    -- lost, staying suspended is the safe side.
    redis.call('HSET', kk, 'status', approved and 'REVOKED' or (before_revoke or 'SUSPENDED'))
    redis.call('HDEL', kk, 'before_revoke')
  elseif approved then
    redis.call('HSET', kk, 'name', r.new_name, 'entities', r.new_entities)
    if r.new_rate == 'default' then
      redis.call('HDEL', kk, 'rate', 'burst')
    elseif r.new_rate and r.new_rate ~= '' then
      redis.call('HSET', kk, 'rate', r.new_rate, 'burst', r.new_burst)
    end
    if r.new_cert == 'none' then
      redis.call('HDEL', kk, 'client_cert')
    elseif r.new_cert and r.new_cert ~= '' then
      redis.call('HSET', kk, 'client_cert', r.new_cert)
    end
  end
  bump(r.key)
end

-- expire_if_due closes the request as EXPIRED when its time has come. It is
-- called first by every script that reads or votes on a request or a key, so
-- an expired request is never acted on even if ExpireDue has not run yet.
local function expire_if_due(rid)
  local r = load(rkey(rid))
  if not r or r.status ~= 'PENDING' or tonumber(r.expires_at) > NOWN then return false end
  local before = snapshot(r.key, rid)
  close_request(r, 'EXPIRED', 'system')
  audit('request.expire', 'system', 'system', r.key, rid, before, snapshot(r.key, rid))
  return true
end

local function expire_key(kid)
  local pending = redis.call('HGET', kkey(kid), 'pending')
  if pending then expire_if_due(pending) end
end

-- expire_due expires up to max due requests; it returns how many it closed
-- and how many it looked at (more may be due when that reaches max).
local function expire_due(max)
  local due = redis.call('ZRANGE', P .. 'reqs:due', '-inf', NOW, 'BYSCORE', 'LIMIT', 0, max)
  local n = 0
  for _, rid in ipairs(due) do
    if expire_if_due(rid) then n = n + 1 else redis.call('ZREM', P .. 'reqs:due', rid) end
  end
  return n, #due
end

-- records is what state-changing scripts return: the key's and the request's
-- hashes, so the caller needs no second round trip.
local function records(kid, rid)
  local k, r = {}, {}
  if kid ~= '' then k = redis.call('HGETALL', kkey(kid)) end
  if rid ~= '' then r = redis.call('HGETALL', rkey(rid)) end
  return {k, r}
end

-- file_request records a pending request on a key and indexes it.
local function file_request(a, kind, kid, rid, quorum, expires, before, after, new_name, new_entities)
  redis.call('HSET', rkey(rid), 'id', rid, 'kind', kind, 'key', kid, 'status', 'PENDING',
    'requested_by', a.id, 'requested_by_name', a.name, 'created_at', NOW, 'expires_at', expires,
    'quorum', quorum, 'approvals', 0, 'rejections', 0, 'before', before, 'after', after,
    'new_name', new_name, 'new_entities', new_entities)
  redis.call('ZADD', P .. 'reqs:all', 0, rid)
  redis.call('ZADD', P .. 'reqs:PENDING', 0, rid)
  redis.call('ZADD', P .. 'reqs:due', expires, rid)
  redis.call('HSET', kkey(kid), 'pending', rid)
end
