// Package keycache authenticates reporting keys on the partner's hot path:
// an in-process LRU of key records in front of the registry, with coalesced
// misses, a short negative cache for well-formed unknown keys, invalidation
// by event (a generation check keeps a lookup in flight from re-inserting a
// stale record, and a request that arrives after an invalidation never
// shares a lookup that began before it), and an explicit outage mode.
//
// Entries are trusted only while the invalidation subscription is live
// (SetSubscribed); while it is not, every lookup asks the registry. Whether
// the registry answers is a separate matter (Reached, from the background
// probe, and the lookups themselves): while it does not, misses are
// answered at once by the outage rules (outage.go) — cached ACTIVE keys
// keep serving for the configured grace after Redis last answered, unknown
// keys are refused — and only the probe asks Redis. A cache hit allocates
// nothing and compares the key's hash in constant time.
//
// It reads the registry through a LookupFunc (RegistryLookup adapts
// *registry.Registry) and never writes to it; the key format is checked
// before it is called (registry.CheckKeyFormat).
package keycache
