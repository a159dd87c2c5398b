package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"reportgate/internal/ledgersim"
	"reportgate/registry"
)

func TestMetricsAfterTraffic(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	k, secret := w.key(1)
	get(t, g, secret, "/accounts")
	get(t, g, secret, "/accounts/999999")
	bad, _ := registry.GenerateKey()
	get(t, g, bad, "/accounts")
	get(t, g, "garbage", "/accounts")
	resp, err := http.Get("http://" + g.AdminAddr() + "/metrics")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "reportgate") {
			t.Log(l)
		}
	}
	for _, want := range []string{
		`reportgate_requests_total{`, `route="/accounts"`, `decision="inject"`, `status="200"`,
		`reportgate_auth_failures_total{reason="invalid_key"} 2`,
		`reportgate_scope_violations_total 0`,
		`reportgate_key_cache_events_total{kind="miss"}`,
		`reportgate_key_cache_entries`,
		`reportgate_upstream_duration_seconds_bucket`,
		`reportgate_notifications_queue_depth{kind="jobs"}`,
		`reportgate_notifications_deliveries_total{outcome="delivered"}`,
		`reportgate_redis_errors_total 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, k.ID) || strings.Contains(text, secret) || strings.Contains(text, "999999") {
		t.Errorf("/metrics carries a key id, a secret or a raw path")
	}
}
