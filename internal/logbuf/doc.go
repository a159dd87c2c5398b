// Package logbuf batches log lines into few writes: one write(2) per access
// log line cost the gateway 28 % more CPU per request under load
// (benchmarks/RESULTS.md). Lines stay whole and in order; they reach the
// underlying writer on each flush tick, when the buffer fills, and on Close.
package logbuf
