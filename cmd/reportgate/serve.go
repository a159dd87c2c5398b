package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"reportgate/config"
	"reportgate/internal/gateway"
	"reportgate/internal/logbuf"
)

// loadServeConfig parses serve's flags and REPORTGATE_* variables and
// validates the result, reporting every problem at once.
func loadServeConfig(args []string, stderr io.Writer) (config.Config, error) {
	cfg := config.Default()
	fs := pflag.NewFlagSet("reportgate serve", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.BindServe(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reportgate serve [flags]\n\nEvery flag can also be set by the variable in brackets; a flag wins over its variable.\n\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return cfg, err
		}
		return cfg, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if err := config.ApplyEnv(fs, os.Environ(), os.LookupEnv); err != nil {
		return cfg, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("%w: %v", errUsage, err)
	}
	return cfg, nil
}

func serveCmd(args []string, stdout, stderr io.Writer) error {
	cfg, err := loadServeConfig(args, stderr)
	if err != nil {
		return err
	}
	if cfg.LogFlush > 0 {
		buf := logbuf.Every(stderr, 64<<10, cfg.LogFlush)
		defer buf.Close()
		stderr = buf
	}
	logger := newLogger(cfg, stderr)
	opts := gateway.Options{Logger: logger, Version: version}
	if cfg.LogFormat == "json" && logger.Enabled(context.Background(), slog.LevelInfo) {
		opts.AccessLog = stderr // lines appended by hand, in the handler's JSON shape
	}
	g, err := gateway.New(cfg, opts)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := g.Start(ctx); err != nil {
		_ = g.Shutdown(context.Background())
		return err
	}
	waitForShutdown(ctx, g)
	logger.Info("shutting down", "grace", cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	return g.Shutdown(sctx)
}

// newLogger builds the process logger from --log-format and --log-level.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel)) // validated already
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// waitForShutdown returns when ctx ends (SIGTERM, SIGINT); meanwhile each
// SIGHUP re-reads the listeners' certificates (each reload is logged, and a
// pair refused leaves the previous one serving).
func waitForShutdown(ctx context.Context, g *gateway.Gateway) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = g.ReloadCertificates()
		}
	}
}
