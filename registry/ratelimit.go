package registry

import (
	"strconv"
	"strings"
	"time"
)

// Bounds of a rate limit, so that a typo cannot turn a limit into none.
const (
	MaxRateCount = 1_000_000 // requests per period
	MaxRateBurst = 1_000_000 // requests at once
)

// RateLimit is a key's request budget: Count requests per Per (a second or a
// minute), with up to Burst of them at once. The zero value means "the
// gateway's default" (--rate-limit, --rate-limit-burst); a key's override
// always carries all three fields.
type RateLimit struct {
	Count int
	Per   time.Duration // time.Second or time.Minute
	Burst int
}

// IsZero reports whether l is the gateway's default.
func (l RateLimit) IsZero() bool { return l == RateLimit{} }

// Rate is the limit without its burst, as ParseRate reads it: "50/s",
// "600/m", or "" for the zero value.
func (l RateLimit) Rate() string {
	if l.Count == 0 {
		return ""
	}
	unit := "/s"
	if l.Per == time.Minute {
		unit = "/m"
	}
	return strconv.Itoa(l.Count) + unit
}

// String is "50/s burst 100", or "default" for the zero value.
func (l RateLimit) String() string {
	if l.IsZero() {
		return "default"
	}
	return l.Rate() + " burst " + strconv.Itoa(l.Burst)
}

// Interval is the time one request's budget takes to come back (Per/Count).
func (l RateLimit) Interval() time.Duration {
	return l.Per / time.Duration(l.Count)
}

// ParseRate reads "N/s" or "N/m" (N requests per second or per minute,
// 1 ≤ N ≤ MaxRateCount).
func ParseRate(s string) (count int, per time.Duration, err error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	switch unit {
	case "s":
		per = time.Second
	case "m":
		per = time.Minute
	default:
		ok = false
	}
	n, convErr := strconv.Atoi(num)
	if !ok || convErr != nil || num != strconv.Itoa(n) {
		return 0, 0, invalidf("rate limit %q: write N/s or N/m, e.g. 10/s or 600/m", s)
	}
	if n < 1 || n > MaxRateCount {
		return 0, 0, invalidf("rate limit %q: N must be between 1 and %d", s, MaxRateCount)
	}
	return n, per, nil
}

// NewRateLimit checks and returns the limit "rate" with burst; burst 0 means
// one period's worth (Count), like a bucket that holds what a period refills.
func NewRateLimit(rate string, burst int) (RateLimit, error) {
	count, per, err := ParseRate(rate)
	if err != nil {
		return RateLimit{}, err
	}
	if burst == 0 {
		burst = count
	}
	if burst < 1 || burst > MaxRateBurst {
		return RateLimit{}, invalidf("rate limit burst %d: give 1 to %d", burst, MaxRateBurst)
	}
	return RateLimit{Count: count, Per: per, Burst: burst}, nil
}

// parseRateFields reads a key record's override ("rate", "burst"); both
// absent is the default.
func parseRateFields(f fields) (RateLimit, error) {
	if f["rate"] == "" {
		return RateLimit{}, nil
	}
	burst, err := strconv.Atoi(f["burst"])
	if err != nil {
		return RateLimit{}, invalidf("key %q: burst %q", f["id"], f["burst"])
	}
	return NewRateLimit(f["rate"], burst)
}
