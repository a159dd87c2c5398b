// Package ratelimit holds the gateway's rate limits: the Limit value with
// its parsing ("10/s", "600/m", a burst), the per-key Limiter that leases
// slices of each key's budget from a GCRA bucket shared by every replica in
// Redis (Budget) and spends them in process, with the concurrency cap and
// the behaviour while Redis is unreachable (OutageMode).
//
// A request costs no Redis call on the hot path and allocates nothing: the
// Limiter refills leases in the background. docs/rate-limits.md has the
// design and its error bound.
//
// It imports nothing of the product: config, the key cache and the proxy
// use its types; the registry stores a key's override as text (registry.
// RateOverride) that NewLimit reads.
package ratelimit
