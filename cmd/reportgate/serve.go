package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"reportgate/config"
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
	_ = cfg
	return fmt.Errorf("serve: not wired yet")
}
