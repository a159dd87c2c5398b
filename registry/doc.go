// Package registry is the gateway's state in Redis, and nothing else:
// reporting keys, admin accounts, key requests with their quorum rules, the
// hash-chained audit log, shared scope snapshots, and the invalidation
// events every replica listens to (Watch). It imports nothing of the
// product; the in-process key cache (package keycache), rate limits
// (package ratelimit) and notifications (package notify) are built on it.
// It must not trust a Redis failover: an admin action is acknowledged only
// once durable, and the invalidation subscription only while proven alive.
//
// All keys of one workspace share a Redis hash tag, so multi-key scripts run
// on Cluster. Every transition is atomic. "Not found" and "Redis unreachable"
// are distinct errors: callers fail closed on the second. Secrets (keys, admin
// tokens) are never stored, only their SHA-256.
//
// # Workflow
//
// Every state change is one Lua script (lua/*.lua) that checks the state,
// changes it, bumps the key's generation, publishes the invalidation Event and
// appends the audit entry, all at once: Redis runs one script at a time, so
// fifty concurrent approvals make exactly one transition, and a refused
// operation writes nothing. Scripts raise RG* error codes that classify maps
// to the sentinels (ErrConflict, ErrForbidden, …); every other failure of
// Redis is ErrUnavailable.
//
// Requests expire lazily: every script reading or voting on a request or a
// key first expires its pending request if due; ExpireDue (RunExpirer) does
// the rest. KeyByHash, the proxy's hot path, never writes and so never
// expires anything; a revocation that expired unnoticed keeps its key
// SUSPENDED, the safe side, until then.
//
// # Redis layout
//
// With P = "rg:{<workspace>}:":
//
//	P key:<id>             hash   key record: id name entities(JSON) status gen prefix hash(hex SHA-256)
//	                              created_by created_by_name created_at revealed_at last_used_at
//	                              pending(request id) before_revoke(status to restore)
//	                              rate burst (the key's own rate limit, "N/s"|"N/m"; absent: default)
//	                              client_cert (hex SHA-256 of the DER client certificate the key
//	                              is bound to; absent: not bound)
//	P keyhash:<hex sha256> string key id, set at reveal (KeyByHash)
//	P keys                 zset   all key ids (score 0, ordered by id = creation time)
//	P req:<id>             hash   request: id kind key status requested_by requested_by_name quorum
//	                              created_at expires_at closed_at closed_by approvals rejections
//	                              before after (diff JSON) new_name new_entities
//	                              new_rate new_burst (an edit of the rate limit; "default" clears it)
//	                              new_cert (an edit of the client certificate; "none" unbinds)
//	                              a:<admin id> / r:<admin id> = "<unix ms>|<admin name>" (votes)
//	                              x:<admin id> = unix ms: that approval stopped counting (admin
//	                              disabled while pending); approvals = the approvals that count
//	P reqs:all             zset   every request id (score 0)
//	P reqs:<STATUS>        zset   request ids by status (PENDING, APPROVED, …)
//	P reqs:due             zset   pending request ids scored by expiry (unix ms)
//	P admin:<id>           hash   id name status token_hash created_at disabled_at
//	P admintoken:<hex>     string admin id, by SHA-256 of the token
//	P admins               zset   all admin ids;  P admins:active  set  active admin ids (quorum)
//	P audit                stream the audit log (see AuditEntry); P audit:head hash seq, hash
//	P session:<hex sha256> hash   admin console session: admin created_at seen_at (sessions.go);
//	                              by the SHA-256 of its id, which only the browser holds
//	P usage:<unix hour>    hash   key id → requests in that hour (usage.go); expires a day later
//	P events               Pub/Sub channel of Event (not a key); every message also carries
//	                              mid and prev, its place in the channel's chain (lua/events.lua)
//	P events:last          string mid of the last message published on P events
//	P acks                 Pub/Sub channel of acknowledgements: {replica, key, generation}
//	                       of a key event a replica applied (replicas.go; not a key)
//	P replicas             zset   live replica names, scored by the unix ms (Redis's clock)
//	                              until which each counts as live: its last probe plus its
//	                              outage grace and ProofWindow (probe.lua, replicas.lua)
//	rate:P rl:<key id>     string a key's GCRA bucket, written by package ratelimit through
//	                              github.com/go-redis/redis_rate, which adds "rate:"; expires when full
//
// Times are unix milliseconds. Identifiers are a prefix (key_, req_, adm_),
// 12 hex digits of creation time and 12 random base62 characters, so the
// sorted sets list newest first with BYLEX and stable cursors.
//
// # Audit chain
//
// Each entry holds seq, prev (the previous entry's hash, "" for the first)
// and hash = SHA-256 of "rg-audit-v1\n" followed by "<field>=<len>:<value>\n"
// for seq, prev, time, actor, actor_name, action, key, request, before,
// after. Redis's Lua has no SHA-256, so lua/sha256.lua implements it; a test
// checks it against crypto/sha256. VerifyAudit detects edited, removed,
// inserted and reordered entries and a removed tail (via the head). Someone
// able to rewrite the whole stream and the head can forge a consistent
// chain: record AuditVerification.HeadHash outside Redis to anchor it.
//
// # Failover
//
// Watch proves its subscription end to end (watch.go): it publishes a probe
// four times a second through the command client and counts the
// subscription as lost when its own probe has not come back within
// ProofWindow, when a message's predecessor in the chain is not the last
// message heard, or when the client has started talking to another server;
// then the handler purges and Watch subscribes again. Each probe's outcome
// tells the handler whether Redis answers (Reached), which the key cache's
// outage mode follows; Watch probes between subscriptions too. Each probe
// also keeps the replica in the live set, and each key event the handler
// applied is acknowledged on P acks (replicas.go): an admin who suspends a
// key learns which live replicas applied it (WaitApplied). Admin actions wait
// for a replica (WAIT) when the master that ran them has, or recently had,
// one; the registry remembers the last audit entry it acknowledged, so that
// VerifyAudit notices acknowledged entries lost with their head pointer
// (durable.go). TrackDurability reports whether Redis keeps an append-only
// file or a replica. docs/redis-ha.md has the figures.
package registry
