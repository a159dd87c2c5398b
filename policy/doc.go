// Package policy decides what a reporting key may read. It holds the policy
// table — every operation of the upstream's spec with exactly one strategy
// (inject, path, owner, scoped-list, gateway, global, deny) — the route
// matcher, and scope resolution (entities → accounts, users, groups,
// whitelists) with its caches.
//
// Anything not in the table is denied. The package does no I/O on the
// partner's connection; it reads the upstream only to resolve scope and
// ownership.
package policy
