-- abort: the requester withdraws their own pending request; the key returns
-- to what it was (a creation ends ABORTED).
-- ARGV[3] actor, [4] request id.
local function main()
  local actor, rid = ARGV[3], ARGV[4]
  expire_if_due(rid)
  local r = load(rkey(rid))
  if not r then throw('RGNOTFOUND', 'no request ' .. rid) end
  local a = active_admin(actor)
  if r.requested_by ~= actor then throw('RGFORBIDDEN', 'only the requester may abort request ' .. rid) end
  if r.status ~= 'PENDING' then throw('RGCONFLICT', 'request ' .. rid .. ' is ' .. r.status) end
  local before = snapshot(r.key, rid)
  close_request(r, 'ABORTED', actor)
  audit('request.abort', a.id, a.name, r.key, rid, before, snapshot(r.key, rid))
  return records(r.key, rid)
end
