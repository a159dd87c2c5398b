// Package registry is the gateway's state in Redis: reporting keys, admin
// accounts, key requests with their quorum rules, the hash-chained audit log
// and rate-limit budgets, plus the in-process key cache and its invalidation.
//
// All keys of one workspace share a Redis hash tag, so multi-key scripts run
// on Cluster. Every transition is atomic. "Not found" and "Redis unreachable"
// are distinct errors: callers fail closed on the second. Secrets (keys, admin
// tokens) are never stored, only their SHA-256.
package registry
