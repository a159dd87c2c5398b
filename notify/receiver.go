package notify

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"reportgate/internal/apierr"
	"reportgate/internal/signature"
	"reportgate/registry"
)

// maxWebhookBody bounds an upstream notification; the real ones are a few
// dozen bytes.
const maxWebhookBody = 16 << 10

// Receiver takes the upstream's notifications at POST /v1/ledger/webhooks
// (no bearer token: the signature is the authentication). A verified event
// first invalidates the scope it may change and the cached answers it makes
// stale, on every replica, then enters the partner delivery queue.
type Receiver struct {
	reg    *registry.Registry
	secret []byte
	now    func() time.Time
	log    *slog.Logger
}

// NewReceiver returns a receiver verifying with secret; an empty secret
// disables it (every call answers 503 naming the flag).
func NewReceiver(reg *registry.Registry, secret string, now func() time.Time, logger *slog.Logger) *Receiver {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Receiver{reg: reg, secret: []byte(secret), now: now, log: logger}
}

// Register adds the route to mux.
func (rc *Receiver) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/ledger/webhooks", rc.serve)
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	if len(rc.secret) == 0 {
		writeError(w, http.StatusServiceUnavailable, "upstream notifications are not configured: set --upstream-webhook-secret")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "notification body over 16 KiB")
		return
	}
	signed, err := signature.Verify(rc.secret, r.Header.Get(signature.Header), body, rc.now(), signature.DefaultMaxAge)
	if err != nil {
		rc.log.Warn("upstream notification refused", "reason", err.Error())
		writeError(w, http.StatusUnauthorized, "invalid "+signature.Header+": "+strings.TrimPrefix(err.Error(), "signature: "))
		return
	}
	var e registry.NotifyEvent
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&e); err != nil || e.PayloadType == "" || e.EventType == "" || e.ID <= 0 {
		writeError(w, http.StatusBadRequest, `a notification is {"payload_type": string, "event_type": string, "id": positive integer}`)
		return
	}
	// The scope effect is applied even to a replay: invalidating is
	// idempotent and errs on the safe side, and two identical events signed
	// in the same second are indistinguishable from a replay.
	if err := rc.invalidate(r, e); err != nil {
		writeError(w, http.StatusServiceUnavailable, "the registry is unreachable; retry")
		return
	}
	// Keyed on what was signed, not on how the header was written.
	replay, err := rc.reg.SeenSignature(r.Context(), signature.ReplayKey(signed, body), 2*signature.DefaultMaxAge)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "the registry is unreachable; retry")
		return
	}
	if replay {
		// Acknowledged, not acted upon again: refusing would make the
		// upstream retry an identical event sent twice in one second, and
		// partners gain nothing from the same {type, event, id} twice.
		writeJSON(w, http.StatusOK, map[string]string{"status": "duplicate: already received, not delivered again"})
		return
	}
	if err := rc.reg.AppendEvent(r.Context(), e); err != nil {
		writeError(w, http.StatusServiceUnavailable, "the registry is unreachable; retry")
		return
	}
	rc.log.Info("upstream notification", "event_type", e.EventType, "payload_type", e.PayloadType, "id", e.ID)
	w.WriteHeader(http.StatusAccepted)
}

// invalidate drops, on every replica, the scopes the event may change and
// the cached upstream answers it makes stale, before the event is queued
// for partners (so deliveries, and partners' reads after them, see the
// change).
func (rc *Receiver) invalidate(r *http.Request, e registry.NotifyEvent) error {
	if heads := CacheEffect(e); len(heads) > 0 {
		if err := rc.reg.PublishPurge(r.Context(), heads); err != nil {
			return err
		}
	}
	entities, all := ScopeEffect(e)
	if !all && len(entities) == 0 {
		return nil
	}
	return rc.reg.InvalidateScope(r.Context(), entities, all)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(apierr.Render(status, msg))
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
