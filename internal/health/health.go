// Package health serves /healthz (the process answers) and /readyz (every
// part the replica needs answers), each with a JSON body naming what fails.
// The parts bring their own checks; this package only runs them.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Check is one part of readiness: Run returns nil when the part is ready,
// else an error whose text says what fails, in words an operator reads.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Note is what /readyz reports besides its checks, never failing it: a
// warning an operator should read (e.g. Redis without persistence).
type Note struct {
	Name string
	Say  func() string
}

// Timeout bounds the checks of one /readyz call together.
const Timeout = 2 * time.Second

// Register adds GET /healthz and GET /readyz to mux. /readyz answers 200
// when every check passes, else 503; its body is
// {"ready": bool, "checks": {name: "ok" | what fails, note name: note}}.
func Register(mux *http.ServeMux, checks []Check, notes ...Note) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), Timeout)
		defer cancel()
		results, ready := map[string]string{}, true
		for _, c := range checks {
			results[c.Name] = "ok"
			if err := c.Run(ctx); err != nil {
				results[c.Name], ready = err.Error(), false
			}
		}
		for _, n := range notes {
			results[n.Name] = n.Say()
		}
		status := http.StatusOK
		if !ready {
			status = http.StatusServiceUnavailable
		}
		write(w, status, map[string]any{"ready": ready, "checks": results})
	})
}

func write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
