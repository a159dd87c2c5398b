// Package keycache authenticates reporting keys on the partner's hot path:
// an in-process LRU of key records in front of the registry, with coalesced
// misses, a short negative cache for well-formed unknown keys, invalidation
// by event (a generation check keeps a lookup in flight from re-inserting a
// stale record), and an explicit outage mode.
//
// Entries are trusted only while the invalidation subscription is live
// (SetSubscribed); while it is not, every lookup asks the registry and the
// cache is only the outage fallback: cached ACTIVE keys keep serving for the
// configured grace, unknown keys are refused. A cache hit allocates nothing
// and compares the key's hash in constant time.
//
// It reads the registry through a LookupFunc (RegistryLookup adapts
// *registry.Registry) and never writes to it; the key format is checked
// before it is called (registry.CheckKeyFormat).
package keycache
