// Package ledgersim is a simulator of the Ledger Enterprise API for demos,
// tests and benchmarks: a deterministic seeded data set shaped like the
// spec's schemas, the spec's GET operations with their filters, pagination
// envelope and errors, operator-credential checks, signed webhooks on data
// changes, and fault injection (latency, 5xx, a leaky mode that ignores scope
// filters).
//
// It is test infrastructure, never imported by the gateway's own packages.
// It learns the upstream's operations and query parameters from
// internal/spec and signs notifications with internal/signature; it holds
// no copy of either.
//
// # Data set
//
// Config's seed and sizes decide every byte (each collection draws from its
// own seeded stream; created_on values count from 2024-01-01), with the API
// user as the last user's username. Ids start at 1 per collection; users 1
// to 3 are admins when there are more than four users. Entity.accounts is the only account↔entity link:
// top-level accounts go round the entities first, then to a random entity
// or, for about one in eight, to none. An ERC-20 child account (parent set
// to an Ethereum account) belongs to its parent's entity and is listed in
// that entity's accounts explicitly, as its own id; MoveAccount moves a
// parent with its children, and a child cannot move alone. Groups, users
// and whitelists are split into per-entity pools and a shared pool, so each
// entity's governance references some objects no other entity's does.
//
// # HTTP API
//
// Every GET of the spec is served (New fails if one has no handler), plus
// GET and PUT /notifications/configuration. Requests need X-Ledger-API-User
// (and X-Ledger-API-Key when Config.APIKey is set), else 401. Query strings
// are checked against the route's parameters: unknown keys, empty or
// malformed values, comma lists and repeated scalars answer 400. Lists
// answer the spec's edges/page_info envelope, newest first. Unknown objects
// and paths answer 404, other methods 405, the spec's POST operations 501,
// all with the spec's Error body. Config.Observe, when set, sees every
// exchange answered outside /_sim/ (internal/contract validates them
// against the spec).
//
// # Control API
//
// Paths under /_sim/ are not authenticated, recorded or faulted:
//
//	GET    /_sim/dataset                   the data set (Dataset as JSON)
//	GET    /_sim/requests[?since=SEQ]      the recorded requests
//	DELETE /_sim/requests                  forget them
//	POST   /_sim/requests                  {"target_type","target_id","type"} → REQUEST_HAS_BEEN_CREATED
//	GET    /_sim/webhooks                  the notification log with delivery outcomes
//	PUT    /_sim/webhook                   {"url","secret"}
//	GET    /_sim/faults, PUT /_sim/faults  {"latency":"5ms","error_rate":0.1,"leaky":true}
//	POST   /_sim/reset                     back to the seeded data set
//	POST   /_sim/accounts                  {"entity":N|null,"currency":…} → NEW_ACCOUNT_HAS_BEEN_CREATED, ENTITY_HAS_BEEN_EDITED
//	POST   /_sim/accounts/{id}/move        {"entity":N|null} → ENTITY_HAS_BEEN_EDITED per entity touched
//	PUT    /_sim/accounts/{id}/governance  {"governance_rules":[…]} → ACCOUNT_HAS_BEEN_EDITED (payload e.g. ETHEREUM_ACCOUNT)
//	POST   /_sim/transactions              {"account_id","type":"RECEIVE"|"SEND",…} → NEW_TRANSACTION_HAS_BEEN_RECEIVED|BROADCASTED
//	PUT    /_sim/groups/{id}/members       {"members":[…]} → GROUP_HAS_BEEN_EDITED
//
// The same operations exist as methods of Server. Notifications are posted
// in order by one goroutine from a bounded queue, signed with
// X-Ledger-Signature, retried a few times; WaitNotifications lets tests wait
// for them without sleeping.
//
// # Leaky mode
//
// Lists ignore entity, account, parent, user, group, members, target_id,
// target_type, account_id, created_by, approved_by, pending_by, rejected_by
// and id, and the ERC-20 children, stake and NFT lists answer every
// account's objects. GET /entities/{id} and accounts' governance_rules are
// never altered: they are the gateway's source of truth.
//
// # Rate limit
//
// With Config.RateLimit (--rate-limit N/s or N/m), the API user may make at
// most N requests in each second or minute of the clock (a fixed window);
// beyond, 420 with X-RateLimit-Limit, X-RateLimit-Remaining (0),
// X-RateLimit-Reset (the window's end, unix seconds), Retry-After (seconds
// until then) and an Error body, as the help centre describes the
// upstream's own. Unauthenticated requests do not count; /_sim/ is never
// limited. RateLimited counts the 420s.
package ledgersim
