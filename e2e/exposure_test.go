package e2e_test

import (
	"strings"
	"testing"

	"reportgate/config"
	"reportgate/internal/ledgersim"
)

// TestAdminListenerExposureWarns (issue 13, item 9): the admin listener has
// no TLS, carries admin tokens, revealed keys and the upstream's
// notifications, and serves /metrics, /healthz and /readyz to anyone. Bound
// beyond loopback, start-up says so at WARN, naming the risk; on loopback it
// says nothing.
func TestAdminListenerExposureWarns(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	w.gateway(nil, nil)
	if strings.Contains(w.logs.String(), "admin listener") {
		t.Fatalf("a loopback admin listener was warned about:\n%s", w.logs.String())
	}
	w.gateway(func(c *config.Config) { c.AdminListen = "0.0.0.0:0" }, nil)
	var line string
	for _, l := range strings.Split(w.logs.String(), "\n") {
		if strings.Contains(l, `"level":"WARN"`) && strings.Contains(l, "admin listener") {
			line = l
		}
	}
	for _, want := range []string{"without TLS", "admin bearer tokens", "in clear", "/metrics", "unauthenticated", `"admin":"`} {
		if !strings.Contains(line, want) {
			t.Errorf("warning %q lacks %q", line, want)
		}
	}
}
