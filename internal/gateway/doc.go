// Package gateway wires one reportgate replica from its configuration: the
// registry and its key cache, the policy (router, scope resolver, owners,
// lister, verifier), the partner proxy, the admin listener with health and
// readiness, and the background work (invalidation subscription, request
// expiry, last-used flushes). `reportgate serve`, `reportgate demo` and the
// end-to-end tests all run a gateway through this package, so there is one
// wiring. It holds no logic of its own beyond that.
package gateway
