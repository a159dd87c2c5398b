// Package simtest starts a ledgersim.Server for a test: on a free
// 127.0.0.1 port, stopped by the test's cleanup. It owns nothing else; the
// simulator's behaviour lives in package ledgersim.
package simtest
