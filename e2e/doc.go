// Package e2e holds the end-to-end tests: whole gateway replicas
// (internal/gateway) against a real redis-server and the upstream simulator
// over real sockets, driven like partners and admins drive them. The leak
// property test, the adversarial table and the regression tests of every
// security finding live here; harness_test.go has what they share. Every
// exchange of every test, partner and upstream hop, is validated against
// the Ledger API's spec (contract_test.go, docs/contract.md).
package e2e
