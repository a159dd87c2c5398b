package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"reportgate/upstream"
)

// readiness is what /readyz reports besides live checks.
type readiness struct {
	subscribed atomic.Bool

	mu         sync.Mutex
	upCheckAt  time.Time
	upCheckErr string
}

func (r *readiness) setSubscribed(v bool) { r.subscribed.Store(v) }

// health registers /healthz (the process answers) and /readyz (Redis,
// upstream and the invalidation subscription), each with a JSON body saying
// which part fails.
func (g *Gateway) health(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		checks := map[string]string{"redis": "ok", "upstream": "ok", "subscription": "ok"}
		ready := true
		if err := g.rdb.Ping(ctx).Err(); err != nil {
			checks["redis"], ready = "unreachable: "+err.Error(), false
		}
		if msg := g.upstreamCheck(ctx); msg != "" {
			checks["upstream"], ready = msg, false
		}
		if !g.ready.subscribed.Load() {
			checks["subscription"], ready = "down: key changes would not be seen", false
		}
		status := http.StatusOK
		if !ready {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, map[string]any{"ready": ready, "checks": checks})
	})
}

// upstreamCheck asks the upstream for its currency list at most every two
// seconds; any answer below 500 means it is reachable with our credentials
// path (its rate limit, 420, included), a 5xx or a transport error means it
// is not. The upstream's message is not repeated: /readyz is
// unauthenticated.
func (g *Gateway) upstreamCheck(ctx context.Context) string {
	g.ready.mu.Lock()
	defer g.ready.mu.Unlock()
	if g.now().Sub(g.ready.upCheckAt) < 2*time.Second {
		return g.ready.upCheckErr
	}
	status, _, err := g.up.Fetch(ctx, "/currencies")
	if se, ok := errors.AsType[*upstream.StatusError](err); ok {
		status, err = se.Status, nil
	}
	switch {
	case err != nil:
		g.ready.upCheckErr = "unreachable: " + err.Error()
	case status >= 500:
		g.ready.upCheckErr = "answers " + http.StatusText(status)
	case status == http.StatusUnauthorized:
		g.ready.upCheckErr = "refuses the operator credentials (401)"
	default:
		g.ready.upCheckErr = ""
	}
	g.ready.upCheckAt = g.now()
	return g.ready.upCheckErr
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
