// Package gateway wires one reportgate replica from its configuration: the
// Redis client, the registry, the key cache and the rate limiter, the
// upstream client and the policy engine over it, the partner proxy, the
// admin listener (the JSON API, the console, the upstream's notifications,
// health, readiness and metrics), and the background work (invalidation
// subscription, request expiry, usage flushes, notification delivery, the
// listeners' certificates re-read when their files change).
// `reportgate serve`, `reportgate demo` and the end-to-end tests all run a
// gateway through this package, so there is one wiring. It holds no logic
// of its own: each part brings its checks, metrics and adapters.
package gateway
