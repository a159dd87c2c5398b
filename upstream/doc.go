// Package upstream is the gateway's one client to the Ledger Enterprise
// API: a pooled fasthttp.HostClient with explicit timeouts and body and
// header limits, that adds the operator's credentials to every request.
// The proxy forwards partners' requests through it; package policy reads
// through it (scope resolution, ownership, scoped lists) behind its own
// small interface.
//
// Shared is the client as the gateway shares it, the one path of every
// upstream read: identical reads in flight share one exchange (coalescing),
// a 200 answer may serve identical reads for a short TTL (the cache, off by
// default, bounded in bytes, purged by the upstream's notifications), and
// every request that does reach the upstream is first admitted by the
// operator's budget (package ratelimit) on behalf of the key it is for
// (WithKey); an upstream 420 pauses the budget. A shared or cached answer
// is checked by its receiver like a fresh one: this package checks no
// scope. docs/upstream-budget.md has the design and bounds.
//
// It sorts exchanges into answers and failures, and says which failure:
// a 5xx answer is a *StatusError (with the upstream's message, fit for a
// log line), an oversized header block ErrHeaderTooLarge, an aborted
// client ErrClosed, anything else fasthttp's own error. A GET whose
// connection was closed before any byte of the answer is sent once more,
// on a fresh connection (retryIf). It decides nothing else: it neither
// checks scope nor maps errors to partners' answers (package proxy does).
package upstream
