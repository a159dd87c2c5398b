package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// EnvPrefix starts every variable that mirrors a flag.
const EnvPrefix = "REPORTGATE_"

// ClientVariables are REPORTGATE_* variables read by the CLI's client
// commands, not by serve; the environment check accepts them.
var ClientVariables = []string{"REPORTGATE_ADMIN_URL", "REPORTGATE_ADMIN_TOKEN"}

// EnvName maps a flag name to its variable: upstream-url → REPORTGATE_UPSTREAM_URL.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// BindServe registers every setting of `serve` on fs, each usage naming its
// variable. Defaults are c's current values.
func (c *Config) BindServe(fs *pflag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", c.Listen, "partner-facing proxy address")
	fs.StringVar(&c.AdminListen, "admin-listen", c.AdminListen, "admin console (/) and admin API address (keys, webhooks, health, metrics)")
	c.bindTLS(fs)
	fs.StringVar(&c.UpstreamURL, "upstream-url", c.UpstreamURL, "Ledger Enterprise API base URL, e.g. https://api.vault.ledger.com (required)")
	fs.StringVar(&c.UpstreamAPIUser, "upstream-api-user", c.UpstreamAPIUser, "operator X-Ledger-API-User sent upstream (required)")
	fs.StringVar(&c.UpstreamAPIKey, "upstream-api-key", c.UpstreamAPIKey, "operator X-Ledger-API-Key sent upstream when set; prefer the variable")
	fs.DurationVar(&c.UpstreamTimeout, "upstream-timeout", c.UpstreamTimeout, "bound on one upstream exchange")
	fs.DurationVar(&c.UpstreamIdleTimeout, "upstream-idle-timeout", c.UpstreamIdleTimeout, "how long an unused upstream connection is kept (below the upstream's keep-alive timeout)")
	fs.IntVar(&c.UpstreamMaxConns, "upstream-max-conns", c.UpstreamMaxConns, "pooled connections to the upstream")
	fs.IntVar(&c.MaxResponseBytes, "max-response-bytes", c.MaxResponseBytes, "largest upstream response body accepted, in bytes")
	fs.IntVar(&c.MaxPageSize, "max-page-size", c.MaxPageSize, "largest page_size a partner may ask for (0, -1 and larger are refused)")
	fs.IntVar(&c.MaxScan, "max-scan", c.MaxScan, "upstream objects read at most to build one scoped list (/users, /groups, /requests, /entities)")
	fs.BoolVar(&c.ReferenceData, "reference-data", c.ReferenceData, "allow the global reference routes (currencies, tokens, certificate chain)")
	c.BindRegistry(fs)
	fs.IntVar(&c.Quorum, "quorum", c.Quorum, "admin approvals a key request needs (the requester never counts)")
	fs.DurationVar(&c.RequestTTL, "request-ttl", c.RequestTTL, "how long a key request stays open")
	fs.StringVar(&c.UpstreamWebhookSecret, "upstream-webhook-secret", c.UpstreamWebhookSecret, "secret verifying the upstream's X-Ledger-Signature on POST /v1/ledger/webhooks; prefer the variable")
	fs.BoolVar(&c.AllowLoopbackHTTPWebhooks, "allow-loopback-http-webhooks", c.AllowLoopbackHTTPWebhooks, "let partners register http:// webhooks on a loopback host (tests, demos)")
	fs.StringVar(&c.ApproverWebhookURL, "approver-webhook-url", c.ApproverWebhookURL, "URL notified (signed) of every pending admin request")
	fs.StringVar(&c.ApproverWebhookSecret, "approver-webhook-secret", c.ApproverWebhookSecret, "secret signing approver notifications; prefer the variable")
	fs.StringVar(&c.WebhookSealKey, "webhook-seal-key", c.WebhookSealKey, "key sealing webhook secrets in Redis, <id>:<base64 of 32 bytes>; prefer the variable")
	fs.StringVar(&c.WebhookSealPreviousKeys, "webhook-seal-previous-keys", c.WebhookSealPreviousKeys, "earlier seal keys, comma-separated, to open what they sealed during a rotation; prefer the variable")
	fs.DurationVar(&c.ConsoleSessionIdle, "console-session-idle", c.ConsoleSessionIdle, "admin console: a session unused this long ends")
	fs.DurationVar(&c.ConsoleSessionMax, "console-session-max", c.ConsoleSessionMax, "admin console: a session ends this long after sign-in")
	fs.IntVar(&c.KeyCacheSize, "key-cache-size", c.KeyCacheSize, "in-process key cache size, in entries")
	fs.DurationVar(&c.NegativeCacheTTL, "negative-cache-ttl", c.NegativeCacheTTL, "how long a well-formed unknown key is remembered as unknown")
	fs.DurationVar(&c.OutageGrace, "outage-grace", c.OutageGrace, "how long cached ACTIVE keys keep serving while Redis is unreachable (0: none)")
	fs.DurationVar(&c.ScopeMaxAge, "scope-max-age", c.ScopeMaxAge, "oldest scope snapshot served before a rebuild from the upstream")
	fs.StringSliceVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "CIDR ranges whose Forwarded/X-Forwarded-* headers are kept (comma-separated)")
	c.bindLimits(fs)
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: json or text")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.DurationVar(&c.LogFlush, "log-flush", c.LogFlush, "longest time a log line waits in the buffer (0: write each line at once)")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", c.ShutdownGrace, "time in-flight requests get after SIGTERM")
	annotateEnv(fs)
}

// bindLimits registers the rate limits and the defences against abuse.
func (c *Config) bindLimits(fs *pflag.FlagSet) {
	fs.StringVar(&c.RateLimit, "rate-limit", c.RateLimit, "default request budget of a key, N/s or N/m, shared by replicas on one Redis")
	fs.IntVar(&c.RateLimitBurst, "rate-limit-burst", c.RateLimitBurst, "requests of the default budget that may come at once")
	fs.IntVar(&c.RateLimitStatus, "rate-limit-status", c.RateLimitStatus, "status of a breached limit: 420 (like the upstream) or 429")
	fs.DurationVar(&c.RateLimitLease, "rate-limit-lease", c.RateLimitLease, "budget a replica leases from Redis at once, as time at the key's rate")
	fs.StringVar(&c.RateLimitOutage, "rate-limit-outage", c.RateLimitOutage, "limits while Redis is unreachable: local (per replica), open or closed (503)")
	fs.IntVar(&c.MaxInflightPerKey, "max-inflight-per-key", c.MaxInflightPerKey, "concurrent requests of one key on one replica")
	fs.StringVar(&c.UpstreamRateLimit, "upstream-rate-limit", c.UpstreamRateLimit, "the operator's upstream budget for every replica together, N/s or N/m (below the plan's limit), shared fairly between keys; unset: none")
	fs.IntVar(&c.UpstreamRateLimitBurst, "upstream-rate-limit-burst", c.UpstreamRateLimitBurst, "upstream requests of that budget that may go at once (0: a tenth of N)")
	fs.DurationVar(&c.UpstreamCacheTTL, "upstream-cache-ttl", c.UpstreamCacheTTL, "how long an upstream 200 answer serves identical reads, each checked against its caller's scope (0: no cache)")
	fs.Int64Var(&c.UpstreamCacheBytes, "upstream-cache-bytes", c.UpstreamCacheBytes, "largest memory of the response cache, in bytes")
	fs.StringVar(&c.FailedAuthLimit, "failed-auth-limit", c.FailedAuthLimit, "failed authentications per client address, N/s or N/m, before its uncached keys are refused")
	fs.IntVar(&c.FailedAuthBurst, "failed-auth-burst", c.FailedAuthBurst, "failed authentications a client address may make at once")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "time to read one partner request, headers and body (cuts off slow clients)")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "time to write one response to a partner")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "idle time after which a keep-alive partner connection is closed")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", c.MaxHeaderBytes, "largest request headers accepted, in bytes (431 beyond)")
	fs.IntVar(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest request body accepted, in bytes (413 beyond)")
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", c.MaxConnsPerIP, "open connections per client address (0: no cap, e.g. behind a load balancer)")
}

// BindRegistry registers the settings every command that opens the registry
// directly shares with serve: Redis and the workspace.
func (c *Config) BindRegistry(fs *pflag.FlagSet) {
	fs.StringVar(&c.RedisURL, "redis-url", c.RedisURL, "registry Redis: redis://, rediss://, redis-sentinel://, redis-cluster:// (required)")
	fs.StringVar(&c.Workspace, "workspace", c.Workspace, "Ledger workspace fronted; partners send it in X-Ledger-Workspace (required)")
	annotateEnv(fs)
}

// annotateEnv appends the variable's name to each flag's usage, once.
func annotateEnv(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		suffix := " [" + EnvName(f.Name) + "]"
		if !strings.HasSuffix(f.Usage, suffix) {
			f.Usage += suffix
		}
	})
}

// ApplyEnv sets each flag of fs that was not given on the command line from
// its REPORTGATE_* variable, read through lookup (os.LookupEnv in production).
// It reports every bad value, and every REPORTGATE_* variable in environ that
// no command of the binary reads (a typo would otherwise be ignored
// silently), at once.
func ApplyEnv(fs *pflag.FlagSet, environ []string, lookup func(string) (string, bool)) error {
	var errs []error
	known := knownVariables()
	fs.VisitAll(func(f *pflag.Flag) {
		name := EnvName(f.Name)
		known[name] = true
		if f.Changed {
			return
		}
		v, ok := lookup(name)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v (flag --%s)", name, v, err, f.Name))
		}
	})
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvPrefix) && !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		errs = append(errs, fmt.Errorf("%s: unknown variable; see `reportgate serve --help` for the REPORTGATE_* names", name))
	}
	return errors.Join(errs...)
}

// knownVariables is every REPORTGATE_* name the binary reads.
func knownVariables() map[string]bool {
	known := map[string]bool{}
	for _, v := range ClientVariables {
		known[v] = true
	}
	c := Default()
	fs := pflag.NewFlagSet("known", pflag.ContinueOnError)
	c.BindServe(fs)
	fs.VisitAll(func(f *pflag.Flag) { known[EnvName(f.Name)] = true })
	return known
}
