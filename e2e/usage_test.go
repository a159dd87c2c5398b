package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"reportgate/internal/ledgersim"
	"reportgate/internal/testkit"
)

// TestUsageReachesTheAdminAPI: a key's requests are counted in the
// replica's memory (no Redis call per request) and flushed to Redis; the
// admin API then shows them as "requests in the last 24 h" and "last used",
// summed over replicas.
func TestUsageReachesTheAdminAPI(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	w.usageFlush = 50 * time.Millisecond
	g1, g2 := w.gateway(nil, nil), w.gateway(nil, nil)
	k, secret := w.key(1)
	before := time.Now()
	for range 3 {
		must(t, get(t, g1, secret, "/accounts").errIf(200))
	}
	for range 2 {
		must(t, get(t, g2, secret, "/accounts").errIf(200))
	}
	var view struct {
		Requests24h int64     `json:"requests_24h"`
		LastUsedAt  time.Time `json:"last_used_at"`
	}
	testkit.WaitFor(t, 10*time.Second, "the admin API does not show the key's 5 requests", func() bool {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", "http://"+g1.AdminAddr()+"/v1/keys/"+k.ID, nil)
		req.Header.Set("Authorization", "Bearer "+w.tokens[0])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return json.Unmarshal(body, &view) == nil && view.Requests24h == 5
	})
	if view.LastUsedAt.Before(before.Add(-time.Second)) {
		t.Errorf("last used %v, want after %v", view.LastUsedAt, before)
	}
}
