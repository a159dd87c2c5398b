package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"reportgate/internal/ledgersim"
)

// defaultListen is where the simulator listens unless --listen says
// otherwise.
const defaultListen = "127.0.0.1:5055"

// parseFlags reads the command line into a simulator Config (starting from
// ledgersim.DefaultConfig) and the listen address.
func parseFlags(args []string, stderr io.Writer) (ledgersim.Config, string, error) {
	cfg := ledgersim.DefaultConfig()
	fs := pflag.NewFlagSet("ledgersim", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", defaultListen, "TCP address to serve on")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the generated data set")
	sizes := []struct {
		name string
		p    *int
	}{
		{"entities", &cfg.Entities}, {"accounts", &cfg.Accounts}, {"users", &cfg.Users},
		{"groups", &cfg.Groups}, {"whitelists", &cfg.Whitelists}, {"transactions", &cfg.Transactions},
		{"requests", &cfg.Requests}, {"digests", &cfg.Digests}, {"messages", &cfg.Messages},
	}
	for _, s := range sizes {
		fs.IntVar(s.p, s.name, *s.p, "number of "+s.name+" to generate")
	}
	fs.StringVar(&cfg.APIUser, "api-user", cfg.APIUser, "X-Ledger-API-User every request must carry")
	fs.StringVar(&cfg.APIKey, "api-key", cfg.APIKey, "X-Ledger-API-Key every request must carry (empty: not checked)")
	fs.StringVar(&cfg.WebhookURL, "webhook-url", cfg.WebhookURL, "where to POST notifications (empty: none until configured)")
	fs.StringVar(&cfg.WebhookSecret, "webhook-secret", cfg.WebhookSecret, "secret signing the notifications (X-Ledger-Signature)")
	fs.DurationVar(&cfg.Latency, "latency", cfg.Latency, "latency added to every request, e.g. 5ms")
	fs.Float64Var(&cfg.ErrorRate, "error-rate", cfg.ErrorRate, "share of requests answered 500/502/503, 0 to 1")
	fs.BoolVar(&cfg.Leaky, "leaky", cfg.Leaky, "lists ignore their scope filters (a simulated upstream bug)")
	fs.IntVar(&cfg.MaxPageSize, "max-page-size", cfg.MaxPageSize, "largest page_size, and what 0 and -1 mean")
	rate := fs.String("rate-limit", "", "the API user's limit, N/s or N/m: beyond, 420 with X-RateLimit-* and Retry-After (empty: none)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ledgersim [flags]\n\nRuns the Ledger Enterprise API simulator.\n\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		return cfg, "", err
	}
	if fs.NArg() > 0 {
		return cfg, "", fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *rate != "" {
		n, per, err := parseRate(*rate)
		if err != nil {
			return cfg, "", err
		}
		cfg.RateLimit, cfg.RatePer = n, per
	}
	return cfg, *listen, nil
}

// parseRate reads "N/s" or "N/m", N a positive decimal without sign or
// leading zero.
func parseRate(s string) (int, time.Duration, error) {
	num, unit, _ := strings.Cut(s, "/")
	per := map[string]time.Duration{"s": time.Second, "m": time.Minute}[unit]
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || per == 0 || strconv.Itoa(n) != num {
		return 0, 0, fmt.Errorf("--rate-limit %q: write N/s or N/m, e.g. 50/s", s)
	}
	return n, per, nil
}
