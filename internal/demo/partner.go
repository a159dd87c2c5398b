package demo

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"reportgate/internal/signature"
)

// partnerSecret is the demo partner's webhook secret.
const partnerSecret = "partner-demo-secret-0001"

// partner is the demo partner's webhook receiver: it verifies each
// delivery's X-Ledger-Signature and shows what it received at GET
// /received (waiting up to 5s for a first event, so a walk-through line
// pasted right after an upstream change shows the delivery).
type partner struct {
	mu       sync.Mutex
	received []map[string]any
	arrived  chan struct{}
	srv      *http.Server
	url      string
}

func startPartner(addr string) (*partner, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &partner{arrived: make(chan struct{}), url: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hook", p.hook)
	mux.HandleFunc("GET /received", p.list)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *partner) hook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	_, err := signature.Verify([]byte(partnerSecret), r.Header.Get(signature.Header), body, time.Now(), signature.DefaultMaxAge)
	var event map[string]any
	_ = json.Unmarshal(body, &event)
	p.mu.Lock()
	p.received = append(p.received, map[string]any{"event": event, "signature_verified": err == nil})
	if len(p.received) == 1 {
		close(p.arrived)
	}
	p.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (p *partner) list(w http.ResponseWriter, r *http.Request) {
	select {
	case <-p.arrived:
	case <-time.After(5 * time.Second):
	case <-r.Context().Done():
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"received": p.received})
}

func (p *partner) close() { _ = p.srv.Close() }
