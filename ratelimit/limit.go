package ratelimit

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid: a rate limit that does not parse or is out of bounds. Errors
// of ParseRate and NewLimit match it with errors.Is; their text says what
// to write instead.
var ErrInvalid = errors.New("ratelimit: invalid rate limit")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Bounds of a rate limit, so that a typo cannot turn a limit into none.
const (
	MaxCount = 1_000_000 // requests per period
	MaxBurst = 1_000_000 // requests at once
)

// Limit is a key's request budget: Count requests per Per (a second or a
// minute), with up to Burst of them at once. The zero value means "the
// gateway's default" (--rate-limit, --rate-limit-burst); a key's override
// always carries all three fields.
type Limit struct {
	Count int
	Per   time.Duration // time.Second or time.Minute
	Burst int
}

// IsZero reports whether l is the gateway's default.
func (l Limit) IsZero() bool { return l == Limit{} }

// Rate is the limit without its burst, as ParseRate reads it: "50/s",
// "600/m", or "" for the zero value.
func (l Limit) Rate() string {
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
func (l Limit) String() string {
	if l.IsZero() {
		return "default"
	}
	return l.Rate() + " burst " + strconv.Itoa(l.Burst)
}

// Interval is the time one request's budget takes to come back (Per/Count).
func (l Limit) Interval() time.Duration {
	return l.Per / time.Duration(l.Count)
}

// ParseRate reads "N/s" or "N/m" (N requests per second or per minute,
// 1 ≤ N ≤ MaxCount).
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
	if n < 1 || n > MaxCount {
		return 0, 0, invalidf("rate limit %q: N must be between 1 and %d", s, MaxCount)
	}
	return n, per, nil
}

// NewLimit checks and returns the limit "rate" with burst; burst 0 means
// one period's worth (Count), like a bucket that holds what a period refills.
func NewLimit(rate string, burst int) (Limit, error) {
	count, per, err := ParseRate(rate)
	if err != nil {
		return Limit{}, err
	}
	if burst == 0 {
		burst = count
	}
	if burst < 1 || burst > MaxBurst {
		return Limit{}, invalidf("rate limit burst %d: give 1 to %d", burst, MaxBurst)
	}
	return Limit{Count: count, Per: per, Burst: burst}, nil
}
