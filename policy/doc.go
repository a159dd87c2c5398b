// Package policy decides what a reporting key may read. Engine is its one
// entry point: Match finds a request's operation and checks its path and
// query, Decide applies the operation's strategy and returns one Decision
// (forward with this query, answer this body, not found, refuse), Verify
// checks the upstream's answer against the scope. It holds the policy
// table — every operation of the upstream's spec with exactly one strategy
// (inject, path, owner, scoped-list, gateway, global, deny) — the route
// matcher, scope resolution (entities → accounts, users, groups,
// whitelists) with its caches, owner lookups and scoped-list building.
//
// Anything not in the table is denied. The package does no I/O on the
// partner's connection; it reads the upstream (with the operator's
// credentials, through Upstream) only to resolve scope, ownership and
// scoped lists. Adding a strategy is a change of this package alone
// (docs/design.md §4).
package policy
