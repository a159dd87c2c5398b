-- vote: an admin approves or rejects a pending request. The requester never
-- votes; each admin counts once (repeating an approval changes nothing); one
-- rejection rejects; the approval that reaches the quorum applies the change.
-- Only approvals of admins still active count (recount): an admin disabled
-- after approving no longer carries the request.
-- Redis runs scripts one at a time, so concurrent voters see each other's
-- votes and exactly one of them closes the request.
-- ARGV[3] actor, [4] request id, [5] approve|reject.
local function main()
  local actor, rid, verb = ARGV[3], ARGV[4], ARGV[5]
  expire_if_due(rid)
  local r = load(rkey(rid))
  if not r then throw('RGNOTFOUND', 'no request ' .. rid) end
  local a = active_admin(actor)
  if r.requested_by == actor then
    throw('RGFORBIDDEN', 'the requester cannot ' .. verb .. ' their own request (withdraw it with abort)')
  end
  if verb == 'approve' and r['a:' .. actor] then return records(r.key, rid) end
  if r.status ~= 'PENDING' then throw('RGCONFLICT', 'request ' .. rid .. ' is ' .. r.status) end
  local before = snapshot(r.key, rid)
  local vote = NOW .. '|' .. a.name
  if verb == 'approve' then
    redis.call('HSET', rkey(rid), 'a:' .. actor, vote)
    if recount(rid) >= tonumber(r.quorum) then close_request(r, 'APPROVED', actor) end
  else
    redis.call('HSET', rkey(rid), 'r:' .. actor, vote)
    redis.call('HINCRBY', rkey(rid), 'rejections', 1)
    close_request(r, 'REJECTED', actor)
  end
  audit('request.' .. verb, a.id, a.name, r.key, rid, before, snapshot(r.key, rid))
  return records(r.key, rid)
end
