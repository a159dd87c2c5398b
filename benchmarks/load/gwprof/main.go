// Command gwprof is `reportgate serve` with a CPU profile: the same
// configuration (flags and REPORTGATE_* variables, config.BindServe), the
// same replica (internal/gateway), and runtime/pprof from start to SIGTERM.
// The load harness runs it with -profile to show where a request's time
// goes; it is not a product binary.
//
//	gwprof -cpuprofile gw.prof -- --listen 127.0.0.1:18080 --upstream-url … (serve's flags)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/pflag"

	"reportgate/config"
	"reportgate/internal/gateway"
)

func main() {
	profile := flag.String("cpuprofile", "gw.prof", "where to write the CPU profile on SIGTERM")
	flag.Parse()
	if err := run(*profile, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "gwprof:", err)
		os.Exit(1)
	}
}

func run(profile string, serveArgs []string) error {
	cfg := config.Default()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.BindServe(fs)
	if err := fs.Parse(serveArgs); err != nil {
		return err
	}
	if err := config.ApplyEnv(fs, os.Environ(), os.LookupEnv); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	g, err := gateway.New(cfg, gateway.Options{Logger: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))})
	if err != nil {
		return err
	}
	f, err := os.Create(profile)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := g.Start(ctx); err != nil {
		return errors.Join(err, g.Shutdown(context.Background()))
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return errors.Join(err, g.Shutdown(context.Background()))
	}
	<-ctx.Done()
	pprof.StopCPUProfile()
	return g.Shutdown(context.Background())
}
