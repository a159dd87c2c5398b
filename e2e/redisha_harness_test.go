package e2e_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"reportgate/admin"
	"reportgate/config"
	"reportgate/internal/gateway"
	"reportgate/internal/ledgersim"
	"reportgate/registry"
)

// haWorld is a world whose registry lives on a Sentinel or Cluster set-up
// (url): its gateways, its admins and w.reg use it. (newWorld's own
// redis-server stays idle; when the harness takes a Redis URL, use that.)
type haWorld struct {
	*world
	url    string
	tokens []string // admin bearer tokens, by w.admins index
}

func newHAWorld(t *testing.T, url string) *haWorld {
	t.Helper()
	w := &haWorld{world: newWorld(t, ledgersim.DefaultConfig()), url: url}
	target, err := config.ParseRedisURL(w.redisURL())
	if err != nil {
		t.Fatal(err)
	}
	client := target.NewClient()
	t.Cleanup(func() { client.Close() })
	if w.reg, err = registry.New(client, "acme", registry.Options{}); err != nil {
		t.Fatal(err)
	}
	w.admins = nil
	for _, name := range []string{"alice", "bob", "carol"} {
		a, token, err := w.reg.CreateAdmin(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		w.admins, w.tokens = append(w.admins, a), append(w.tokens, token)
	}
	return w
}

// redisURL is the set-up's URL with the short timeouts of the other
// end-to-end tests.
func (w *haWorld) redisURL() string {
	sep := "?"
	if strings.Contains(w.url, "?") {
		sep = "&"
	}
	return w.url + sep + "dial_timeout=200ms&read_timeout=500ms&write_timeout=500ms&max_retries=1"
}

// replica starts a gateway on the set-up.
func (w *haWorld) replica() *gateway.Gateway {
	w.t.Helper()
	return w.gateway(func(c *config.Config) { c.RedisURL = w.redisURL() }, nil)
}

// adminClient calls g's admin API as admin i.
func (w *haWorld) adminClient(g *gateway.Gateway, i int) *admin.Client {
	w.t.Helper()
	c, err := admin.NewClient("http://"+g.AdminAddr(), w.tokens[i], &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// setSuspended suspends or unsuspends key id through the admin API and
// returns the key as answered. A 503 may hide an applied change: the state
// is read back (as docs/admin-api.md tells clients to) and the call is
// repeated only if the key is not in the wanted state yet. It returns when
// the state is reached (acknowledged reports whether it was this call's 200)
// or within passes.
func setSuspended(ctx context.Context, c *admin.Client, id string, suspend bool, within time.Duration) (k admin.Key, acknowledged bool, err error) {
	verb, want := "unsuspend", "ACTIVE"
	if suspend {
		verb, want = "suspend", "SUSPENDED"
	}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		err = c.Do(ctx, "POST", "/v1/keys/"+id+"/"+verb, nil, nil, &k)
		if err == nil {
			return k, true, nil
		}
		var ae *admin.APIError
		if !errors.As(err, &ae) || (ae.StatusCode != http.StatusServiceUnavailable && ae.StatusCode != http.StatusConflict) {
			return k, false, err
		}
		if rerr := c.Do(ctx, "GET", "/v1/keys/"+id, nil, nil, &k); rerr == nil && k.Status == want {
			return k, false, nil
		}
		time.Sleep(10 * time.Millisecond) // pacing retries against an unavailable Redis
	}
	return k, false, err
}

// traffic sends partner requests with one key to a replica, back to back,
// and keeps when each was sent and what it answered.
type traffic struct {
	mu   sync.Mutex
	sent []time.Time
	code []int
	stop chan struct{}
	done chan struct{}
}

func startTraffic(g *gateway.Gateway, secret string) *traffic {
	tr := &traffic{stop: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: 5 * time.Second}
	go func() {
		defer close(tr.done)
		for {
			select {
			case <-tr.stop:
				return
			default:
			}
			sent := time.Now()
			code := partnerStatus(client, g, secret)
			tr.mu.Lock()
			tr.sent, tr.code = append(tr.sent, sent), append(tr.code, code)
			tr.mu.Unlock()
		}
	}()
	return tr
}

// partnerStatus is the status of one GET /entities with the key, 0 when
// the request failed.
func partnerStatus(client *http.Client, g *gateway.Gateway, secret string) int {
	req, _ := http.NewRequest("GET", "http://"+g.ProxyAddr()+"/entities", nil)
	req.Header.Set("X-Ledger-Reporting-API-Key", secret)
	req.Header.Set("X-Ledger-Workspace", "acme")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (tr *traffic) halt() {
	close(tr.stop)
	<-tr.done
}

// accepted counts the requests sent at or after from that were answered
// 200, and returns the send time of the last one.
func (tr *traffic) accepted(from time.Time) (n int, last time.Time) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for i, at := range tr.sent {
		if !at.Before(from) && tr.code[i] == http.StatusOK {
			n, last = n+1, at
		}
	}
	return n, last
}

// count is how many requests were sent at or after from.
func (tr *traffic) count(from time.Time) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, at := range tr.sent {
		if !at.Before(from) {
			n++
		}
	}
	return n
}
