// Package proxy is the partner-facing reverse proxy: a fasthttp server whose
// handler runs the request pipeline of docs/design.md §3, one function per
// step, in this order: reject the ambiguous, authenticate, rate-limit,
// authorise, rewrite, forward, verify the response, respond.
//
// It owns the hot path: no step may allocate on a cache hit, and no
// *fasthttp.RequestCtx or Peek slice is kept past the handler. It decides
// nothing about scope itself: it carries out the decisions of package policy
// (Policy). It stores nothing, and reaches its collaborators through small
// interfaces (Authenticator, RateLimiter, Forwarder).
//
// Over TLS (Options.TLS) its listener keeps a table of open connections by
// client address (tls.go), so that authenticate can check a key bound to a
// client certificate against the connection's certificate without
// allocating: such a key presented without it is refused like an unknown
// key.
package proxy
