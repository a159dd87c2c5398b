// Package ratelimit holds the gateway's rate limits: the Limit value with
// its parsing ("10/s", "600/m", a burst), the per-key Limiter that leases
// slices of each key's budget from a GCRA bucket shared by every replica in
// Redis (Budget) and spends them in process, with the concurrency cap and
// the behaviour while Redis is unreachable (OutageMode).
//
// Shared is the operator's upstream budget, built on the same Limiter: one
// bucket for every upstream request of every replica, and, when the keys'
// demand exceeds it, one bucket per key at its max-min fair share
// (FairShare), recomputed every window from every replica's counts; an
// upstream 420 pauses every replica. docs/upstream-budget.md has its
// design and bounds.
//
// A request costs no Redis call on the hot path and allocates nothing: the
// Limiter refills leases in the background. docs/rate-limits.md has the
// design and its error bound.
//
// It imports nothing of the product: config, the key cache, the upstream
// client and the proxy use its types; the registry stores a key's override
// as text (registry.RateOverride) that NewLimit reads.
package ratelimit
