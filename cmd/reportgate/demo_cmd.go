package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"reportgate/internal/demo"
)

func demoCmd(args []string, stdout, stderr io.Writer) error {
	o := demo.Options{Out: stdout, Binary: demo.Executable()}
	var verbose bool
	fs := pflag.NewFlagSet("reportgate demo", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.RedisURL, "redis-url", "", "use this Redis instead of the embedded one")
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:8080", "partner-facing proxy address")
	fs.StringVar(&o.AdminListen, "admin-listen", "127.0.0.1:9090", "admin API address")
	fs.StringVar(&o.SimListen, "sim-listen", "127.0.0.1:5055", "upstream simulator address")
	fs.StringVar(&o.PartnerListen, "partner-listen", "127.0.0.1:5056", "the demo partner's webhook receiver address")
	fs.BoolVar(&o.Script, "script", false, "play the walk-through, check every answer, exit non-zero on any surprise")
	fs.BoolVar(&verbose, "verbose", false, "print the gateway's logs (text) on stderr")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reportgate demo [flags]\n\nRuns the upstream simulator, an embedded Redis and the gateway, and prints a walk-through to paste.\n\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if verbose {
		o.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return demo.Run(ctx, o)
}
