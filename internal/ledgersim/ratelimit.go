package ledgersim

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The upstream limits each API user by its plan and answers a breach with
// 420 and four headers (help centre, "Rate Limits"; the spec documents
// neither). The simulator's limit is a fixed window per API user: at most
// RateLimit requests in each RatePer-long window aligned on the clock (a
// second, a minute), which is what X-RateLimit-Reset, the end of the
// window, describes.

// Headers of a 420.
const (
	HeaderRateLimit     = "X-RateLimit-Limit"
	HeaderRateRemaining = "X-RateLimit-Remaining"
	HeaderRateReset     = "X-RateLimit-Reset"
	HeaderRetryAfter    = "Retry-After"
)

// rateWindow counts the requests of the current window. Safe for
// concurrent use.
type rateWindow struct {
	mu      sync.Mutex
	start   time.Time
	n       int
	limited int64
}

// take counts one request at now; over the limit, it returns the end of
// the window.
func (w *rateWindow) take(now time.Time, limit int, per time.Duration) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if start := now.Truncate(per); !start.Equal(w.start) {
		w.start, w.n = start, 0
	}
	if w.n >= limit {
		w.limited++
		return w.start.Add(per), false
	}
	w.n++
	return time.Time{}, true
}

// RateLimited is how many requests the simulator answered 420.
func (s *Server) RateLimited() int64 {
	s.rate.mu.Lock()
	defer s.rate.mu.Unlock()
	return s.rate.limited
}

// limit answers 420 beyond Config.RateLimit requests a window.
func (s *Server) limit(next http.Handler) http.Handler {
	if s.cfg.RateLimit == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := s.cfg.Now()
		reset, ok := s.rate.take(now, s.cfg.RateLimit, s.cfg.RatePer)
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set(HeaderRateLimit, strconv.Itoa(s.cfg.RateLimit))
		h.Set(HeaderRateRemaining, "0")
		h.Set(HeaderRateReset, strconv.FormatInt((reset.UnixNano()+int64(time.Second)-1)/int64(time.Second), 10))
		h.Set(HeaderRetryAfter, strconv.FormatInt(max(int64((reset.Sub(now)+time.Second-1)/time.Second), 1), 10))
		writeError(w, &apiError{420, "RateLimitExceeded", "rate limit exceeded for this API user: at most " +
			strconv.Itoa(s.cfg.RateLimit) + " requests per " + s.cfg.RatePer.String()})
	})
}
