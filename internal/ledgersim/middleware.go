package ledgersim

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
)

// Operator credential headers (the spec's LAM security schemes).
const (
	HeaderAPIUser = "X-Ledger-API-User"
	HeaderAPIKey  = "X-Ledger-API-Key"
)

// simPrefix starts the simulator's own control paths, which are neither
// authenticated, recorded nor subject to faults.
const simPrefix = "/_sim/"

// root sends /_sim/ to the control API and everything else through the
// upstream pipeline: record, observe, latency, authenticate, the API user's
// rate limit, inject 5xx, route.
func (s *Server) root(api, control http.Handler) http.Handler {
	chain := s.record(s.observe(s.delay(s.authenticate(s.limit(s.failSome(cleanPath(api)))))))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, simPrefix) {
			control.ServeHTTP(w, r)
			return
		}
		chain.ServeHTTP(w, r)
	})
}

func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.rec.add(r, s.cfg.Now())
		next.ServeHTTP(w, r)
	})
}

// delay adds the configured latency, cut short if the client goes away.
func (s *Server) delay(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := s.faults.get().Latency; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := s.checkCredentials(r.Header); msg != "" {
			writeError(w, &apiError{http.StatusUnauthorized, "Unauthorized", msg})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkCredentials returns why the operator headers are refused, or "".
// Each header must appear once.
func (s *Server) checkCredentials(h http.Header) string {
	if !equalOnce(h.Values(HeaderAPIUser), s.cfg.APIUser) {
		return "missing or unknown " + HeaderAPIUser
	}
	if s.cfg.APIKey != "" && !equalOnce(h.Values(HeaderAPIKey), s.cfg.APIKey) {
		return "missing or invalid " + HeaderAPIKey
	}
	return ""
}

func equalOnce(got []string, want string) bool {
	return len(got) == 1 && subtle.ConstantTimeCompare([]byte(got[0]), []byte(want)) == 1
}

// failSome answers a share of requests with a 5xx, as configured.
func (s *Server) failSome(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, fail := s.faults.roll(); fail {
			text := http.StatusText(status)
			writeError(w, &apiError{status, strings.ReplaceAll(text, " ", ""), "injected fault: " + text})
			return
		}
		next.ServeHTTP(w, r)
	})
}
