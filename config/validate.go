package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"reportgate/internal/gcra"
	"reportgate/ratelimit"
)

// Problem is one invalid setting: the flag, its variable, what is wrong and
// how to fix it.
type Problem struct {
	Flag    string
	Problem string
	Fix     string
}

func (p Problem) Error() string {
	return fmt.Sprintf("--%s [%s]: %s; %s", p.Flag, EnvName(p.Flag), p.Problem, p.Fix)
}

// Problems is every problem Validate found. It unwraps to each Problem.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return "config: " + strings.Join(lines, "\n  ")
}

// Unwrap lets errors.As find any one Problem.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

var workspacePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Validate checks every setting of serve, reports all problems at once (a
// Problems error), and on success fills the derived fields.
func (c *Config) Validate() error {
	var ps Problems
	add := func(flag, problem, fix string) { ps = append(ps, Problem{flag, problem, fix}) }

	c.validateRegistry(add)
	checkAddr(add, "listen", c.Listen)
	checkAddr(add, "admin-listen", c.AdminListen)
	if c.Listen != "" && c.Listen == c.AdminListen && !strings.HasSuffix(c.Listen, ":0") {
		add("admin-listen", "same address as --listen", "give the admin API its own address")
	}
	c.validateTLS(add)
	u, problem := parseUpstream(c.UpstreamURL)
	if problem != "" {
		add("upstream-url", problem, "give the API's base URL, e.g. https://api.vault.ledger.com")
	}
	switch {
	case c.UpstreamAPIUser == "":
		add("upstream-api-user", "not set", "give the operator's API user name")
	case !headerSafe(c.UpstreamAPIUser):
		add("upstream-api-user", "contains control characters", "give the user name alone")
	}
	if !headerSafe(c.UpstreamAPIKey) {
		add("upstream-api-key", "contains control characters", "give the key alone, without a newline")
	}
	if !headerSafe(c.UpstreamWebhookSecret) {
		add("upstream-webhook-secret", "contains control characters", "give the secret alone")
	}
	if c.ApproverWebhookURL != "" {
		if u, err := url.Parse(c.ApproverWebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("approver-webhook-url", fmt.Sprintf("%q is not an http(s) URL", c.ApproverWebhookURL), "give the URL approvers' notifications go to")
		}
		if len(c.ApproverWebhookSecret) < 16 {
			add("approver-webhook-secret", "shorter than 16 bytes", "give the secret the receiver verifies signatures with")
		}
	}
	c.validateSeal(add)
	positive(add, "upstream-timeout", c.UpstreamTimeout > 0, "give a duration such as 10s")
	positive(add, "upstream-idle-timeout", c.UpstreamIdleTimeout > 0, "give a duration below the upstream's keep-alive timeout, such as 4s")
	positive(add, "upstream-max-conns", c.UpstreamMaxConns >= 1, "give at least 1 (default 512)")
	positive(add, "max-response-bytes", c.MaxResponseBytes >= 4096, "give at least 4096")
	positive(add, "max-page-size", c.MaxPageSize >= 1, "give at least 1 (default 500)")
	positive(add, "max-scan", c.MaxScan >= 100, "give at least 100 (default 10000)")
	positive(add, "quorum", c.Quorum >= 1, "give at least 1 (default 2)")
	positive(add, "request-ttl", c.RequestTTL >= 60e9, "give at least 1m (default 168h)")
	positive(add, "console-session-idle", c.ConsoleSessionIdle >= time.Minute && c.ConsoleSessionIdle <= 24*time.Hour,
		"give 1m to 24h (default 30m)")
	positive(add, "console-session-max", c.ConsoleSessionMax >= c.ConsoleSessionIdle && c.ConsoleSessionMax <= 30*24*time.Hour,
		"give at least --console-session-idle and at most 720h (default 12h)")
	positive(add, "key-cache-size", c.KeyCacheSize >= 1, "give at least 1 (default 100000)")
	positive(add, "negative-cache-ttl", c.NegativeCacheTTL >= 0, "give 0 (off) or a duration such as 5s")
	positive(add, "outage-grace", c.OutageGrace >= 0, "give 0 (off) or a duration such as 5m")
	positive(add, "scope-max-age", c.ScopeMaxAge > 0, "give a duration such as 60s")
	positive(add, "shutdown-grace", c.ShutdownGrace >= 0, "give a duration such as 15s")
	c.validateLimits(add)
	prefixes, bad := parsePrefixes(c.TrustedProxies)
	for _, b := range bad {
		add("trusted-proxies", fmt.Sprintf("%q is not a CIDR range or IP address", b), "give ranges such as 10.0.0.0/8")
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		add("log-format", fmt.Sprintf("%q is not a format", c.LogFormat), "give json or text")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("log-level", fmt.Sprintf("%q is not a level", c.LogLevel), "give debug, info, warn or error")
	}
	if c.LogFlush < 0 || c.LogFlush > 10*time.Second {
		add("log-flush", fmt.Sprintf("%v is out of range", c.LogFlush), "give 0 (no buffer) up to 10s, such as 100ms")
	}
	if len(ps) > 0 {
		return ps
	}
	c.Upstream, c.TrustedPrefixes = u, prefixes
	return nil
}

// validateLimits checks the rate limits and the defences against abuse, and
// fills their derived fields.
func (c *Config) validateLimits(add func(flag, problem, fix string)) {
	count, per, err := ratelimit.ParseRate(c.RateLimit)
	if err != nil {
		add("rate-limit", fmt.Sprintf("%q is not a rate", c.RateLimit), "give N/s or N/m, e.g. 10/s or 600/m")
	}
	positive(add, "rate-limit-burst", c.RateLimitBurst >= 1 && c.RateLimitBurst <= ratelimit.MaxBurst,
		fmt.Sprintf("give 1 to %d (default 20)", ratelimit.MaxBurst))
	if err == nil && c.RateLimitBurst >= 1 {
		c.DefaultRateLimit = ratelimit.Limit{Count: count, Per: per, Burst: c.RateLimitBurst}
	}
	positive(add, "rate-limit-status", c.RateLimitStatus == 420 || c.RateLimitStatus == 429, "give 420 (like the upstream) or 429")
	positive(add, "rate-limit-lease", c.RateLimitLease >= time.Millisecond && c.RateLimitLease <= 10*time.Second,
		"give a duration between 1ms and 10s (default 100ms)")
	if !ratelimit.OutageMode(c.RateLimitOutage).Valid() {
		add("rate-limit-outage", fmt.Sprintf("%q is not a mode", c.RateLimitOutage), "give local, open or closed")
	}
	positive(add, "max-inflight-per-key", c.MaxInflightPerKey >= 1, "give at least 1 (default 32)")
	c.validateUpstreamBudget(add)
	count, per, err = ratelimit.ParseRate(c.FailedAuthLimit)
	if err != nil {
		add("failed-auth-limit", fmt.Sprintf("%q is not a rate", c.FailedAuthLimit), "give N/s or N/m, e.g. 1/s or 30/m")
	}
	positive(add, "failed-auth-burst", c.FailedAuthBurst >= 1, "give at least 1 (default 20)")
	if err == nil {
		c.FailedAuth = gcra.Limit{Interval: per / time.Duration(count), Burst: c.FailedAuthBurst}
	}
	positive(add, "read-timeout", c.ReadTimeout > 0, "give a duration such as 10s")
	positive(add, "write-timeout", c.WriteTimeout > 0, "give a duration such as 30s")
	positive(add, "idle-timeout", c.IdleTimeout > 0, "give a duration such as 60s")
	positive(add, "max-header-bytes", c.MaxHeaderBytes >= 1024 && c.MaxHeaderBytes <= 1<<20, "give 1024 to 1048576 (default 8192)")
	positive(add, "max-body-bytes", c.MaxBodyBytes >= 1024, "give at least 1024 (default 65536)")
	positive(add, "max-conns-per-ip", c.MaxConnsPerIP >= 0, "give 0 (no cap) or a positive number (default 128)")
}

// validateUpstreamBudget checks the operator's upstream budget and the
// response cache, and fills UpstreamBudget.
func (c *Config) validateUpstreamBudget(add func(flag, problem, fix string)) {
	positive(add, "upstream-rate-limit-burst", c.UpstreamRateLimitBurst >= 0 && c.UpstreamRateLimitBurst <= ratelimit.MaxBurst,
		fmt.Sprintf("give 0 (a tenth of the budget) to %d", ratelimit.MaxBurst))
	positive(add, "upstream-cache-ttl", c.UpstreamCacheTTL >= 0 && c.UpstreamCacheTTL <= 10*time.Minute,
		"give 0 (no cache) or a short duration such as 2s, at most 10m")
	positive(add, "upstream-cache-bytes", c.UpstreamCacheBytes >= 1<<20, "give at least 1048576 (default 67108864)")
	if c.UpstreamRateLimit == "" {
		return
	}
	count, per, err := ratelimit.ParseRate(c.UpstreamRateLimit)
	if err != nil {
		add("upstream-rate-limit", fmt.Sprintf("%q is not a rate", c.UpstreamRateLimit), "give N/s or N/m below the plan's limit, e.g. 80/s, or leave it unset")
		return
	}
	burst := c.UpstreamRateLimitBurst
	if burst == 0 {
		burst = max(count/10, 1)
	}
	c.UpstreamBudget = ratelimit.Limit{Count: count, Per: per, Burst: burst}
}

// ValidateRegistry checks only the settings BindRegistry registers, for the
// commands that open the registry directly.
func (c *Config) ValidateRegistry() error {
	var ps Problems
	c.validateRegistry(func(flag, problem, fix string) { ps = append(ps, Problem{flag, problem, fix}) })
	if len(ps) > 0 {
		return ps
	}
	return nil
}

func (c *Config) validateRegistry(add func(flag, problem, fix string)) {
	if c.RedisURL == "" {
		add("redis-url", "not set", "give the registry's Redis, e.g. redis://127.0.0.1:6379/0")
	} else if t, err := ParseRedisURL(c.RedisURL); err != nil {
		add("redis-url", err.Error(), "see README § Configuration for the accepted forms")
	} else {
		c.Redis = t
	}
	if !workspacePattern.MatchString(c.Workspace) {
		problem := fmt.Sprintf("%q is not a workspace name", c.Workspace)
		if c.Workspace == "" {
			problem = "not set"
		}
		add("workspace", problem, "give the workspace name: letters, digits, '.', '_' or '-', at most 64")
	}
}

func positive(add func(flag, problem, fix string), flag string, ok bool, fix string) {
	if !ok {
		add(flag, "out of range", fix)
	}
}

func checkAddr(add func(flag, problem, fix string), flag, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 0 || n > 65535 {
			err = errors.New("bad port")
		}
	}
	if err != nil {
		add(flag, fmt.Sprintf("%q is not host:port", addr), "give an address such as :8080 or 127.0.0.1:9090")
	}
}

func parseUpstream(raw string) (*url.URL, string) {
	if raw == "" {
		return nil, "not set"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Sprintf("%q does not parse: %v", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Sprintf("%q: scheme must be http or https", raw)
	case u.Host == "":
		return nil, fmt.Sprintf("%q has no host", raw)
	case u.User != nil:
		return nil, fmt.Sprintf("%q carries credentials", raw)
	case u.Path != "" && u.Path != "/":
		return nil, fmt.Sprintf("%q has a path; a path prefix is not supported", raw)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Sprintf("%q has a query or fragment", raw)
	}
	return u, ""
}

func parsePrefixes(raw []string) ([]netip.Prefix, []string) {
	var out []netip.Prefix
	var bad []string
	for _, s := range raw {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		} else {
			bad = append(bad, s)
		}
	}
	return out, bad
}

func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}
