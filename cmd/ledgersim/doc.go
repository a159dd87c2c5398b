// Command ledgersim runs the Ledger Enterprise API simulator
// (internal/ledgersim) on a TCP address until SIGINT or SIGTERM, printing
// its URL first. It owns the command line only: flags into a
// ledgersim.Config, the listener and the signal handling; the simulator's
// behaviour lives in the package.
package main
