// Package e2e holds the end-to-end tests: whole gateway replicas
// (internal/gateway) against a real redis-server and the upstream simulator
// over real sockets, driven like partners and admins drive them. The leak
// property test, the adversarial table and the regression tests of every
// security finding live here; harness_test.go has what they share.
package e2e
