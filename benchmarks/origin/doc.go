// Package origin is a fixed-response Ledger API origin for the
// benchmarks: every body is rendered once, from the simulator's types, and a
// request costs a map lookup and a write. It serves the routes the load
// harness drives (a ~1 KB /accounts page, a ~1 KB /transactions/{id}, an
// /accounts/{id}) and what the gateway reads to resolve a key's scope
// (/entities/{id}, the /accounts governance scan, /groups/{id}).
//
// It counts what it must never see (a partner's reporting key, a request
// without the operator's X-Ledger-API-User, an /accounts list without the
// entity filter), so a benchmark can prove that every target did the same
// work. It is not a simulator: queries are not interpreted, and every other
// path is a 404. Use package ledgersim for behaviour.
package origin
