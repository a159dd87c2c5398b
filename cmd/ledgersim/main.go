package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"reportgate/internal/ledgersim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// shutdownGrace bounds how long in-flight requests may finish on exit.
const shutdownGrace = 5 * time.Second

// run serves until ctx is done and returns the exit code: 0 after a clean
// stop, 1 when serving fails, 2 for bad flags or configuration.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, listen, err := parseFlags(args, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "ledgersim: %v\n", err)
		return 2
	}
	s, err := ledgersim.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "ledgersim: %v\n", err)
		return 2
	}
	defer s.Close()
	l, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Fprintf(stderr, "ledgersim: %v\n", err)
		return 1
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	fmt.Fprintf(stdout, "ledgersim listening on http://%s (seed %d: %d entities, %d accounts, %d transactions)\n",
		l.Addr(), cfg.Seed, cfg.Entities, cfg.Accounts, cfg.Transactions)
	select {
	case err := <-served:
		fmt.Fprintf(stderr, "ledgersim: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "ledgersim: shutdown: %v\n", err)
		return 1
	}
	return 0
}
