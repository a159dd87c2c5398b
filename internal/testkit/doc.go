// Package testkit holds what the project's tests share: an injectable
// clock, a log buffer safe for concurrent writers, the upstream's error
// shape, a certificate authority made per test (TLS), and a wait on a
// condition with a deadline (tests never sleep for a fixed time to let
// something happen).
//
// Only tests import it.
package testkit
