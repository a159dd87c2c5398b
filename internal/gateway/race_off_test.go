//go:build !race

package gateway_test

// slowdown scales latency bounds (see race_on_test.go).
const slowdown = 1
