package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"reportgate/internal/gcra"
	"reportgate/ratelimit"
)

func valid() Config {
	c := Default()
	c.UpstreamURL = "http://127.0.0.1:5055"
	c.UpstreamAPIUser = "operator"
	c.RedisURL = "redis://127.0.0.1:6379/0"
	c.Workspace = "acme"
	return c
}

func TestValidateAcceptsDefaultsWithRequired(t *testing.T) {
	t.Parallel()
	c := valid()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	if c.Upstream == nil || c.Upstream.Host != "127.0.0.1:5055" {
		t.Errorf("Upstream = %v, want parsed URL", c.Upstream)
	}
	if c.Redis.Single == nil || c.Redis.Single.Addr != "127.0.0.1:6379" {
		t.Errorf("Redis = %+v, want a single-node target", c.Redis)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	c := Default() // nothing required set
	c.Listen = "8080"
	c.LogFormat = "xml"
	c.TrustedProxies = []string{"10.0.0.0/8", "nonsense"}
	err := c.Validate()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Validate() = %v, want Problems", err)
	}
	want := []string{"listen", "upstream-url", "upstream-api-user", "redis-url", "workspace", "trusted-proxies", "log-format"}
	got := map[string]bool{}
	for _, p := range ps {
		got[p.Flag] = true
	}
	for _, f := range want {
		if !got[f] {
			t.Errorf("no problem reported for --%s; got %v", f, err)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("got %d problems, want %d: %v", len(ps), len(want), err)
	}
	msg := err.Error()
	for _, s := range []string{"--upstream-url [REPORTGATE_UPSTREAM_URL]", "--log-format [REPORTGATE_LOG_FORMAT]", `"nonsense"`} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q:\n%s", s, msg)
		}
	}
}

func TestValidateCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		flag string // "" = valid
	}{
		{"https upstream", func(c *Config) { c.UpstreamURL = "https://api.vault.ledger.com" }, ""},
		{"upstream ftp", func(c *Config) { c.UpstreamURL = "ftp://x" }, "upstream-url"},
		{"upstream with path", func(c *Config) { c.UpstreamURL = "http://x/api" }, "upstream-url"},
		{"upstream with credentials", func(c *Config) { c.UpstreamURL = "http://u:p@x" }, "upstream-url"},
		{"upstream with query", func(c *Config) { c.UpstreamURL = "http://x?a=1" }, "upstream-url"},
		{"api user with newline", func(c *Config) { c.UpstreamAPIUser = "op\r\nX-Evil: 1" }, "upstream-api-user"},
		{"api key with newline", func(c *Config) { c.UpstreamAPIKey = "k\n" }, "upstream-api-key"},
		{"same listeners", func(c *Config) { c.AdminListen = c.Listen }, "admin-listen"},
		{"bad port", func(c *Config) { c.AdminListen = "127.0.0.1:99999" }, "admin-listen"},
		{"zero timeout", func(c *Config) { c.UpstreamTimeout = 0 }, "upstream-timeout"},
		{"zero upstream idle timeout", func(c *Config) { c.UpstreamIdleTimeout = 0 }, "upstream-idle-timeout"},
		{"zero quorum", func(c *Config) { c.Quorum = 0 }, "quorum"},
		{"negative grace", func(c *Config) { c.OutageGrace = -time.Second }, "outage-grace"},
		{"zero outage grace allowed", func(c *Config) { c.OutageGrace = 0 }, ""},
		{"workspace with brace", func(c *Config) { c.Workspace = "a{b}" }, "workspace"},
		{"redis unknown scheme", func(c *Config) { c.RedisURL = "http://x" }, "redis-url"},
		{"redis sentinel without master", func(c *Config) { c.RedisURL = "redis-sentinel://h:26379" }, "redis-url"},
		{"redis sentinel", func(c *Config) { c.RedisURL = "redis-sentinel://h:26379?master_name=m&addr=h2:26379" }, ""},
		{"redis cluster", func(c *Config) { c.RedisURL = "redis-cluster://h:7000?addr=h2:7001" }, ""},
		{"trusted single ip", func(c *Config) { c.TrustedProxies = []string{"10.1.2.3"} }, ""},
		{"log level", func(c *Config) { c.LogLevel = "loud" }, "log-level"},
		{"rate per minute", func(c *Config) { c.RateLimit = "600/m" }, ""},
		{"rate without unit", func(c *Config) { c.RateLimit = "10" }, "rate-limit"},
		{"rate per hour", func(c *Config) { c.RateLimit = "10/h" }, "rate-limit"},
		{"zero burst", func(c *Config) { c.RateLimitBurst = 0 }, "rate-limit-burst"},
		{"negative log flush", func(c *Config) { c.LogFlush = -time.Second }, "log-flush"},
		{"log flush of a minute", func(c *Config) { c.LogFlush = time.Minute }, "log-flush"},
		{"status 429", func(c *Config) { c.RateLimitStatus = 429 }, ""},
		{"status 503", func(c *Config) { c.RateLimitStatus = 503 }, "rate-limit-status"},
		{"zero lease", func(c *Config) { c.RateLimitLease = 0 }, "rate-limit-lease"},
		{"outage open", func(c *Config) { c.RateLimitOutage = "open" }, ""},
		{"outage maybe", func(c *Config) { c.RateLimitOutage = "maybe" }, "rate-limit-outage"},
		{"zero in flight", func(c *Config) { c.MaxInflightPerKey = 0 }, "max-inflight-per-key"},
		{"failed auth rate", func(c *Config) { c.FailedAuthLimit = "often" }, "failed-auth-limit"},
		{"zero read timeout", func(c *Config) { c.ReadTimeout = 0 }, "read-timeout"},
		{"tiny headers", func(c *Config) { c.MaxHeaderBytes = 100 }, "max-header-bytes"},
		{"tiny body", func(c *Config) { c.MaxBodyBytes = 10 }, "max-body-bytes"},
		{"no connection cap", func(c *Config) { c.MaxConnsPerIP = 0 }, ""},
		{"negative connection cap", func(c *Config) { c.MaxConnsPerIP = -1 }, "max-conns-per-ip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			tt.edit(&c)
			err := c.Validate()
			if tt.flag == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Flag != tt.flag {
				t.Fatalf("Validate() = %v, want one problem for --%s", err, tt.flag)
			}
		})
	}
}

func TestValidateDerivesLimits(t *testing.T) {
	t.Parallel()
	c := valid()
	c.RateLimit, c.RateLimitBurst, c.FailedAuthLimit, c.FailedAuthBurst = "600/m", 50, "30/m", 5
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if want := (ratelimit.Limit{Count: 600, Per: time.Minute, Burst: 50}); c.DefaultRateLimit != want {
		t.Errorf("DefaultRateLimit = %+v, want %+v", c.DefaultRateLimit, want)
	}
	if want := (gcra.Limit{Interval: 2 * time.Second, Burst: 5}); c.FailedAuth != want {
		t.Errorf("FailedAuth = %+v, want %+v", c.FailedAuth, want)
	}
}

func TestRedisURLPasswordNeverInError(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"redis://user:s3cret@host:notaport/0",
		"redis://:s3cret@host:6379/0?bogus_option=1",
		"redis-sentinel://u:s3cret@h:26379",
	} {
		_, err := ParseRedisURL(raw)
		if err == nil {
			t.Fatalf("ParseRedisURL(%q) = nil error, want one", raw)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func parse(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	c := Default()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c.BindServe(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	return c, ApplyEnv(fs, environ, lookup)
}

func TestFlagWinsOverVariable(t *testing.T) {
	t.Parallel()
	c, err := parse(t, []string{"--listen", ":7000"}, map[string]string{
		"REPORTGATE_LISTEN":           ":6000",
		"REPORTGATE_ADMIN_LISTEN":     "127.0.0.1:6001",
		"REPORTGATE_TRUSTED_PROXIES":  "10.0.0.0/8,192.168.0.0/16",
		"REPORTGATE_UPSTREAM_TIMEOUT": "3s",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":7000" {
		t.Errorf("Listen = %q, want the flag's :7000", c.Listen)
	}
	if c.AdminListen != "127.0.0.1:6001" {
		t.Errorf("AdminListen = %q, want the variable's value", c.AdminListen)
	}
	if len(c.TrustedProxies) != 2 || c.UpstreamTimeout != 3*time.Second {
		t.Errorf("TrustedProxies = %v, UpstreamTimeout = %v", c.TrustedProxies, c.UpstreamTimeout)
	}
}

func TestBadAndUnknownVariablesNamed(t *testing.T) {
	t.Parallel()
	_, err := parse(t, nil, map[string]string{
		"REPORTGATE_UPSTREAM_TIMEOUT": "soon",
		"REPORTGATE_UPSTREM_URL":      "http://typo",
		"REPORTGATE_ADMIN_TOKEN":      "client variable, accepted",
	})
	if err == nil {
		t.Fatal("ApplyEnv() = nil, want errors")
	}
	msg := err.Error()
	for _, s := range []string{"REPORTGATE_UPSTREAM_TIMEOUT", "--upstream-timeout", "REPORTGATE_UPSTREM_URL: unknown variable"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q:\n%s", s, msg)
		}
	}
	if strings.Contains(msg, "ADMIN_TOKEN") {
		t.Errorf("client variable reported as unknown:\n%s", msg)
	}
}

func TestHelpNamesEveryVariable(t *testing.T) {
	t.Parallel()
	c := Default()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c.BindServe(fs)
	fs.VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(f.Usage, "["+EnvName(f.Name)+"]") {
			t.Errorf("--%s usage %q does not name its variable", f.Name, f.Usage)
		}
		if strings.Count(f.Usage, "[REPORTGATE_") != 1 {
			t.Errorf("--%s usage names variables %d times", f.Name, strings.Count(f.Usage, "[REPORTGATE_"))
		}
	})
}

// The README's configuration table must list every flag.
func TestReadmeListsEveryFlag(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c.BindServe(fs)
	fs.VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(string(readme), "`--"+f.Name+"`") || !strings.Contains(string(readme), EnvName(f.Name)) {
			t.Errorf("README does not document --%s / %s", f.Name, EnvName(f.Name))
		}
	})
}
