// Command reportgate is the gateway's one binary: serve, demo, the admin and
// key CLIs, and version. It parses flags and wires constructors; the logic
// lives in the packages.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/spf13/pflag"
)

// Set by the linker (see Makefile).
var (
	version = "dev"
	commit  = "unknown"
)

const usage = `reportgate — an authenticating reverse proxy for the Ledger Enterprise API

Usage:
  reportgate serve [flags]      run the gateway (see reportgate serve --help)
  reportgate demo [flags]       run the simulator, embedded Redis and the gateway, print a walk-through
  reportgate admin <command>    create, list and disable admins directly in Redis (reportgate admin help)
  reportgate keys <command>     manage reporting keys through the admin API (reportgate keys help)
  reportgate health [--url U]   probe /healthz or /readyz (container health checks; over https
                                with --insecure, the certificate is not checked)
  reportgate version            print version, commit and Go version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a command and returns the process exit code: 0 success,
// 1 failure, 2 bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serveCmd(args[1:], stdout, stderr)
	case "demo":
		err = demoCmd(args[1:], stdout, stderr)
	case "health":
		err = healthCmd(args[1:], stdout, stderr)
	case "admin":
		err = adminCmd(args[1:], stdout, stderr)
	case "keys":
		err = keysCmd(args[1:], stdout, stderr, os.LookupEnv)
	case "version", "--version":
		printVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "reportgate: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return exitCode(err, stderr)
}

// errUsage marks errors that come from bad flags or variables (exit 2).
var errUsage = errors.New("invalid configuration")

func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "reportgate:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "reportgate:", err)
		return 1
	}
}

func printVersion(w io.Writer) {
	rev := commit
	if info, ok := debug.ReadBuildInfo(); ok && rev == "unknown" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				rev = s.Value
			}
		}
	}
	fmt.Fprintf(w, "reportgate %s (commit %s, %s, %s/%s)\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
