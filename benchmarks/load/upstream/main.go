// Command upstream serves package origin's fixed responses over fasthttp:
// the upstream of the load harness (benchmarks/load/run.sh), which the
// direct runs, nginx and the gateway all reach.
//
//	upstream -listen 127.0.0.1:18000
//
// It stops on SIGTERM or SIGINT and prints its counters (origin.Stats) on
// the way out; GET /_stats returns them while it runs.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/valyala/fasthttp"

	"reportgate/benchmarks/origin"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:18000", "address to listen on")
	flag.Parse()
	if err := run(*listen); err != nil {
		fmt.Fprintln(os.Stderr, "upstream:", err)
		os.Exit(1)
	}
}

func run(listen string) error {
	o := origin.New()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	// No timeouts and no Server or Date work beyond fasthttp's defaults: the
	// origin should cost every target the same, and as little as possible.
	srv := &fasthttp.Server{Handler: o.Handler, NoDefaultServerHeader: true}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(os.Stderr, "upstream: listening on %s, GOMAXPROCS %d\n", ln.Addr(), runtime.GOMAXPROCS(0))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case err := <-done:
		return err
	case <-sig:
	}
	err = srv.Shutdown()
	b, _ := json.Marshal(o.Stats())
	fmt.Fprintf(os.Stderr, "upstream: stats %s\n", b)
	return err
}
