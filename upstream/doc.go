// Package upstream is the gateway's one client to the Ledger Enterprise
// API: a pooled fasthttp.HostClient with explicit timeouts and body limits,
// that adds the operator's credentials to every request. The proxy forwards
// partners' requests through it; package policy reads through it (scope
// resolution, ownership, scoped lists) behind its own small interface.
//
// It decides nothing: it neither checks scope nor maps errors to answers.
package upstream
