package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"reportgate/internal/ledgersim"
	"reportgate/internal/redistest"
)

// TestPersistenceWarning (issue 16 item 9): a Redis with neither an
// append-only file nor a replica forgets every key and admin when it
// restarts. The start-up log says so, and /readyz carries it as a note
// that does not fail readiness; with a replica the note is ok.
func TestPersistenceWarning(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	note := func() string {
		resp, err := http.Get("http://" + g.AdminAddr() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Ready  bool              `json:"ready"`
			Checks map[string]string `json:"checks"`
		}
		must(t, json.NewDecoder(resp.Body).Decode(&body))
		if resp.StatusCode != http.StatusOK || !body.Ready {
			t.Fatalf("readyz %d %+v: the persistence note must not fail readiness", resp.StatusCode, body)
		}
		return body.Checks["persistence"]
	}
	waitUntil(t, time.Now().Add(5*time.Second), func() bool { return strings.HasPrefix(note(), "warning: ") })
	if logs := w.logs.String(); !strings.Contains(logs, `"msg":"redis persistence off"`) {
		t.Fatalf("no start-up warning in the log:\n%s", logs)
	}
	redistest.StartReplica(t, w.redis)
	waitUntil(t, time.Now().Add(5*time.Second), func() bool { return strings.HasPrefix(note(), "ok: 1 replica") })
}
