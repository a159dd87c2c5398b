// Package ledgersim is a simulator of the Ledger Enterprise API for demos,
// tests and benchmarks: a deterministic seeded data set shaped like the
// spec's schemas, the spec's GET operations with their filters, pagination
// envelope and errors, operator-credential checks, signed webhooks on data
// changes, and fault injection (latency, 5xx, a leaky mode that ignores scope
// filters).
//
// It is test infrastructure, never imported by the gateway's own packages.
package ledgersim
