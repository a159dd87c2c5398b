//go:build !race

package e2e_test

// slowdown scales latency bounds (see race_on_test.go).
const slowdown = 1
