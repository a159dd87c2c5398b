//go:build race

package e2e_test

// slowdown scales latency bounds: the race detector makes the gateway and
// the test's own clients several times slower, so a bound measured without
// it only catches gross regressions with it.
const slowdown = 10
