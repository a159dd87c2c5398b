package config

import (
	"crypto/x509"
	"net/netip"
	"net/url"
	"time"

	"reportgate/internal/gcra"
	"reportgate/internal/seal"
	"reportgate/ratelimit"
)

// Config is the configuration of `reportgate serve`. The zero value is not
// useful; start from Default. Each field's comment gives its default and unit.
type Config struct {
	// Listen is the partner-facing proxy address. Default ":8080".
	Listen string
	// AdminListen is the admin API address (keys, webhooks, health, metrics).
	// Default "127.0.0.1:9090": admins reach it over loopback or a tunnel.
	AdminListen string
	// TLSCert and TLSKey serve the partner listener over TLS 1.2 and 1.3:
	// PEM files, the leaf then its chain, and its private key; both or
	// neither. They are re-read when they change and on SIGHUP. Default
	// unset: plain HTTP (TLS terminated in front).
	TLSCert, TLSKey string
	// AdminTLSCert and AdminTLSKey do the same for the admin listener.
	AdminTLSCert, AdminTLSKey string
	// ClientCA is a PEM bundle of CAs that partners' client certificates
	// chain to: the partner listener then asks for a certificate (it does
	// not require one), and keys can be bound to one. Needs TLSCert; read
	// at start-up. Default unset: no client certificates.
	ClientCA string

	// UpstreamURL is the Ledger Enterprise API base URL (http or https, no
	// path, query or fragment), e.g. https://api.vault.ledger.com or the LAM
	// http://vault-lam:5000. Required.
	UpstreamURL string
	// UpstreamAPIUser is the operator's X-Ledger-API-User. Required.
	UpstreamAPIUser string
	// UpstreamAPIKey is the operator's X-Ledger-API-Key, sent only when set.
	// A secret: prefer the environment variable to the flag.
	UpstreamAPIKey string
	// UpstreamTimeout bounds one upstream exchange (dial, write, read).
	// Default 10s.
	UpstreamTimeout time.Duration
	// UpstreamIdleTimeout is how long an unused upstream connection is
	// kept: below the upstream's (and its load balancer's) own keep-alive
	// timeout, so the gateway closes first. Default 4s.
	UpstreamIdleTimeout time.Duration
	// UpstreamMaxConns caps pooled connections to the upstream. Default 512;
	// a cap below the partners' concurrency queues requests.
	UpstreamMaxConns int
	// MaxResponseBytes caps an upstream response body, which is buffered for
	// verification. Default 8 MiB.
	MaxResponseBytes int

	// MaxPageSize is the largest page_size a partner may ask for; 0 and -1
	// (the upstream's "maximum") and anything larger are refused. Default 500.
	MaxPageSize int
	// MaxScan bounds the upstream objects read to build one scoped list
	// (/users, /groups, /requests, /entities). Default 10000.
	MaxScan int
	// ReferenceData allows the global reference routes (currencies, tokens,
	// the certificate chain). Default true.
	ReferenceData bool

	// RedisURL locates the registry: redis://, rediss://, or
	// redis-sentinel:// / redis-cluster:// forms (see README). Required.
	RedisURL string
	// Workspace is the Ledger workspace this gateway fronts; partners must
	// send it in X-Ledger-Workspace, and it namespaces every Redis key.
	// Required; letters, digits, '.', '_' and '-', at most 64.
	Workspace string

	// Quorum is the number of admin approvals a key request needs (the
	// requester never counts). Default 2.
	Quorum int
	// RequestTTL is how long a key request stays open. Default 168h (7 days).
	RequestTTL time.Duration

	// UpstreamWebhookSecret verifies the upstream's notifications at POST
	// /v1/ledger/webhooks. Unset: notifications are refused, and scopes
	// follow upstream edits through ScopeMaxAge only.
	UpstreamWebhookSecret string
	// AllowLoopbackHTTPWebhooks lets partners register http:// webhooks on
	// a loopback host (tests, demos). Default false: https only.
	AllowLoopbackHTTPWebhooks bool
	// ApproverWebhookURL receives a signed notification for every pending
	// admin request; ApproverWebhookSecret signs it. Unset: none is sent.
	// Setting it requires WebhookSealKey (the secret is queued in Redis).
	ApproverWebhookURL, ApproverWebhookSecret string
	// WebhookSealKey seals partner webhook secrets and queued deliveries in
	// Redis (AES-256-GCM), "<id>:<base64 of 32 bytes>". A secret: prefer
	// the variable. Unset: partners cannot set webhooks (503), stored ones
	// are not delivered to, and approver notifications cannot be enabled.
	WebhookSealKey string
	// WebhookSealPreviousKeys are earlier seal keys, comma-separated, kept
	// to open what they sealed during a rotation; never used to seal.
	// Default none.
	WebhookSealPreviousKeys string

	// ConsoleSessionIdle ends an admin console session unused this long.
	// Default 30m.
	ConsoleSessionIdle time.Duration
	// ConsoleSessionMax ends a console session this long after sign-in,
	// however busy. Default 12h.
	ConsoleSessionMax time.Duration

	// KeyCacheSize bounds the in-process key cache, in entries. Default 100000.
	KeyCacheSize int
	// NegativeCacheTTL is how long a well-formed unknown key is remembered as
	// unknown. Default 5s.
	NegativeCacheTTL time.Duration
	// OutageGrace is how long cached ACTIVE keys keep serving while Redis is
	// unreachable (no admin change can happen meanwhile). Unknown keys are
	// refused at once. Default 5m; 0 refuses every key during an outage.
	OutageGrace time.Duration
	// ScopeMaxAge bounds how old a scope snapshot may be before it is
	// rebuilt from the upstream, even without a notification. Default 60s.
	ScopeMaxAge time.Duration

	// TrustedProxies are CIDR ranges whose Forwarded / X-Forwarded-* headers
	// are kept. Default none: every client copy is stripped.
	TrustedProxies []string

	// RateLimit is the request budget of a key without its own (keys edit
	// --rate-limit): "N/s" or "N/m", shared by every replica on the same
	// Redis. Default "10/s".
	RateLimit string
	// RateLimitBurst is how many of those requests may come at once.
	// Default 20.
	RateLimitBurst int
	// RateLimitStatus answers a breached limit: 420 like the upstream, or
	// 429. Default 420.
	RateLimitStatus int
	// RateLimitLease is the slice of a key's budget a replica takes from
	// Redis at once, as a duration at the key's rate (at least 1 request, at
	// most half the burst). Longer: fewer Redis calls, looser cross-replica
	// bound (docs/rate-limits.md). Default 100ms.
	RateLimitLease time.Duration
	// RateLimitOutage is what limits do while Redis is unreachable: "local"
	// (each replica enforces every key's limit alone), "open" (none) or
	// "closed" (503). Default "local".
	RateLimitOutage string
	// MaxInflightPerKey caps one key's concurrent requests on one replica.
	// Default 32.
	MaxInflightPerKey int
	// UpstreamRateLimit is the operator's upstream budget: what every
	// replica together may send the upstream, "N/s" or "N/m" (the plan's
	// limit less a margin: docs/upstream-budget.md), shared fairly between
	// keys when their demand exceeds it. Default "": no budget.
	UpstreamRateLimit string
	// UpstreamRateLimitBurst is how many of those requests may go at once.
	// Default 0: a tenth of N, at least 1.
	UpstreamRateLimitBurst int
	// UpstreamCacheTTL is how long an upstream 200 answer serves the
	// identical upstream reads (checked against each caller's scope like a
	// fresh answer). Default 0: no cache.
	UpstreamCacheTTL time.Duration
	// UpstreamCacheBytes bounds the response cache's memory, in bytes.
	// Default 67108864 (64 MiB).
	UpstreamCacheBytes int64
	// FailedAuthLimit is the budget of failed authentications per client
	// address and replica, "N/s" or "N/m"; beyond it, keys this replica has
	// not cached are refused without asking Redis. Default "1/s".
	FailedAuthLimit string
	// FailedAuthBurst is how many failures may come at once. Default 20.
	FailedAuthBurst int

	// ReadTimeout bounds reading one partner request, headers and body
	// (slow clients are cut off). Default 10s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing one response. Default 30s.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle this long. Default 60s.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers (431 beyond). Default 8192.
	MaxHeaderBytes int
	// MaxBodyBytes bounds a request body (413 beyond). Default 65536.
	MaxBodyBytes int
	// MaxConnsPerIP caps one client address's open connections (429 and
	// close beyond). Default 128; 0: no cap (behind a load balancer, whose
	// address every connection shares).
	MaxConnsPerIP int

	// LogFormat is "json" (default) or "text".
	LogFormat string
	// LogLevel is "debug", "info" (default), "warn" or "error".
	LogLevel string
	// LogFlush is how long log lines may wait in a buffer before they are
	// written, so a busy gateway writes its access log in batches instead
	// of one write per request. 0 writes every line at once. Default 100ms.
	LogFlush time.Duration
	// ShutdownGrace is how long in-flight requests may run after SIGTERM.
	// Default 15s.
	ShutdownGrace time.Duration

	// Derived by Validate; not settable.
	Upstream         *url.URL
	TrustedPrefixes  []netip.Prefix
	Redis            RedisTarget
	DefaultRateLimit ratelimit.Limit
	// UpstreamBudget is UpstreamRateLimit with its burst; zero without one.
	UpstreamBudget ratelimit.Limit
	FailedAuth     gcra.Limit
	Seal           *seal.Keyring  // nil without WebhookSealKey
	ClientCAs      *x509.CertPool // nil without ClientCA
}

// Default returns the configuration with every default set.
func Default() Config {
	return Config{
		Listen:              ":8080",
		AdminListen:         "127.0.0.1:9090",
		UpstreamTimeout:     10 * time.Second,
		UpstreamMaxConns:    512,
		MaxResponseBytes:    8 << 20,
		MaxPageSize:         500,
		MaxScan:             10_000,
		ReferenceData:       true,
		Quorum:              2,
		RequestTTL:          7 * 24 * time.Hour,
		ConsoleSessionIdle:  30 * time.Minute,
		ConsoleSessionMax:   12 * time.Hour,
		KeyCacheSize:        100_000,
		NegativeCacheTTL:    5 * time.Second,
		OutageGrace:         5 * time.Minute,
		ScopeMaxAge:         60 * time.Second,
		RateLimit:           "10/s",
		RateLimitBurst:      20,
		RateLimitStatus:     420,
		RateLimitLease:      100 * time.Millisecond,
		RateLimitOutage:     "local",
		MaxInflightPerKey:   32,
		UpstreamCacheBytes:  64 << 20,
		FailedAuthLimit:     "1/s",
		FailedAuthBurst:     20,
		ReadTimeout:         10 * time.Second,
		WriteTimeout:        30 * time.Second,
		IdleTimeout:         60 * time.Second,
		MaxHeaderBytes:      8 << 10,
		MaxBodyBytes:        64 << 10,
		MaxConnsPerIP:       128,
		LogFormat:           "json",
		LogLevel:            "info",
		LogFlush:            100 * time.Millisecond,
		ShutdownGrace:       15 * time.Second,
		UpstreamIdleTimeout: 4 * time.Second,
	}
}
