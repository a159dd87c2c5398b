// Package benchmarks holds the gateway's micro-benchmarks and the load
// harness (`make bench`) that measures it against the direct upstream and
// nginx. Results and how to reproduce them are in RESULTS.md.
package benchmarks
