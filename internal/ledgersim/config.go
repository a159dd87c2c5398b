package ledgersim

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config sets the simulator's data set, credentials, notifications and
// faults. Start from DefaultConfig; New validates it and reports every
// problem at once.
type Config struct {
	// Seed drives every generated value: the same Seed and sizes give a
	// byte-identical data set (so does the same APIUser, which is the last
	// user's username). 0 is a valid seed.
	Seed int64

	// Sizes of the seeded collections (ids run from 1 to the size). 0 means
	// an empty collection; Users must be at least 1 (every object has a
	// creator). At most MaxCollectionSize each.
	Entities, Accounts, Users, Groups, Whitelists int
	Transactions, Requests, Digests, Messages     int

	// APIUser is the value X-Ledger-API-User must carry on every request
	// outside /_sim/. Required.
	APIUser string
	// APIKey, when not empty, is the value X-Ledger-API-Key must carry too.
	// Empty: the header is not checked.
	APIKey string

	// WebhookURL receives the notifications (http or https). Empty: none is
	// sent until one is set (SetWebhook, PUT /_sim/webhook or
	// PUT /notifications/configuration); notifications are still logged.
	WebhookURL string
	// WebhookSecret signs the notifications; required with WebhookURL.
	WebhookSecret string

	// Latency is added to every request outside /_sim/. 0: none.
	Latency time.Duration
	// ErrorRate is the share of requests outside /_sim/ answered with a
	// 500, 502 or 503 (seeded, so repeatable). 0: none; at most 1.
	ErrorRate float64
	// Leaky makes list endpoints ignore their scope-carrying filters (an
	// upstream bug the gateway's response verification must catch).
	Leaky bool
	// RateLimit is the API user's plan: at most RateLimit requests in each
	// RatePer window (aligned on the clock), beyond which the upstream's
	// 420 answers with X-RateLimit-Limit, X-RateLimit-Remaining,
	// X-RateLimit-Reset and Retry-After. 0: no limit.
	RateLimit int
	// RatePer is the window of RateLimit: a second or a minute. 0: a
	// second.
	RatePer time.Duration

	// Now is the clock for new objects, signatures and default date ranges.
	// nil: time.Now.
	Now func() time.Time
	// MaxPageSize is what page_size 0 and -1 mean, and the largest
	// page_size accepted. 0: DefaultMaxPageSize.
	MaxPageSize int

	// Observe, when set, is called with every request answered outside
	// /_sim/ and its answer, before the answer is sent (so a client that
	// has its answer knows Observe has seen it), from the request's
	// goroutine (so calls may be concurrent). Tests use it to validate
	// what the simulator serves (internal/contract). nil: none.
	Observe func(Exchange)
}

const (
	// DefaultMaxPageSize is used when Config.MaxPageSize is 0.
	DefaultMaxPageSize = 1000
	// DefaultAPIUser is DefaultConfig's operator user name.
	DefaultAPIUser = "reportgate-operator"
	// MaxCollectionSize bounds each size in Config, so a typo cannot
	// exhaust memory.
	MaxCollectionSize = 1_000_000
)

// DefaultConfig returns the suggested configuration: seed 1, 5 entities,
// 40 accounts, 30 users, 6 groups, 10 whitelists, 400 transactions,
// 120 requests, 40 digests, 40 messages, API user "reportgate-operator",
// no API key, no webhook, no faults, page sizes up to 1000.
func DefaultConfig() Config {
	return Config{
		Seed:         1,
		Entities:     5,
		Accounts:     40,
		Users:        30,
		Groups:       6,
		Whitelists:   10,
		Transactions: 400,
		Requests:     120,
		Digests:      40,
		Messages:     40,
		APIUser:      DefaultAPIUser,
		MaxPageSize:  DefaultMaxPageSize,
	}
}

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("ledgersim: invalid config")

// Validate reports every problem of c at once, each wrapped in ErrConfig.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	for _, s := range c.sizes() {
		if s.n < 0 || s.n > MaxCollectionSize {
			bad("%s = %d, want 0 to %d", s.name, s.n, MaxCollectionSize)
		}
	}
	if c.Users < 1 {
		bad("users = %d, want at least 1 (objects need a creator)", c.Users)
	}
	if c.APIUser == "" {
		bad("api user is empty, want the operator's user name")
	}
	if c.WebhookURL != "" {
		if err := checkWebhookURL(c.WebhookURL); err != nil {
			bad("webhook url: %v", err)
		}
		if c.WebhookSecret == "" {
			bad("webhook secret is empty, want one with the webhook url")
		}
	}
	if c.Latency < 0 {
		bad("latency = %s, want 0 or more", c.Latency)
	}
	if c.ErrorRate < 0 || c.ErrorRate > 1 || c.ErrorRate != c.ErrorRate {
		bad("error rate = %v, want 0 to 1", c.ErrorRate)
	}
	if c.RateLimit < 0 {
		bad("rate limit = %d, want 0 (none) or more", c.RateLimit)
	}
	if c.RatePer != 0 && c.RatePer != time.Second && c.RatePer != time.Minute {
		bad("rate window = %s, want 1s or 1m", c.RatePer)
	}
	if c.MaxPageSize < 0 {
		bad("max page size = %d, want at least 1 (0 means %d)", c.MaxPageSize, DefaultMaxPageSize)
	}
	return errors.Join(errs...)
}

type sizeField struct {
	name string
	n    int
}

func (c Config) sizes() []sizeField {
	return []sizeField{
		{"entities", c.Entities}, {"accounts", c.Accounts}, {"users", c.Users},
		{"groups", c.Groups}, {"whitelists", c.Whitelists}, {"transactions", c.Transactions},
		{"requests", c.Requests}, {"digests", c.Digests}, {"messages", c.Messages},
	}
}

// withDefaults fills the zero values that stand for a default.
func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxPageSize == 0 {
		c.MaxPageSize = DefaultMaxPageSize
	}
	if c.RatePer == 0 {
		c.RatePer = time.Second
	}
	return c
}

// checkWebhookURL accepts absolute http and https URLs. The upstream takes
// https only; the simulator also takes http so tests can use a local
// receiver.
func checkWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return nil
}
