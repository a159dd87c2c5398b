package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"reportgate/internal/signature"
)

// Regression (issue 13, item 8): replay detection keyed on the raw
// X-Ledger-Signature text, while verification accepts the same signature
// with its parts reordered, with spaces, with an extra part, in upper-case
// hex or beside another v1 value. Each variant of a captured notification
// was accepted (202) and delivered again to every partner in scope. What was
// signed, the timestamp and the body, is now what a replay is recognised by.
func TestReformattedSignatureIsAReplay(t *testing.T) {
	t.Parallel()
	reg, clk := newQueue(t)
	const secret = "upstream-secret-0123456789"
	rc := NewReceiver(reg, secret, clk.Now, nil)
	mux := http.NewServeMux()
	rc.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	body := `{"payload_type":"TRANSACTION","event_type":"NEW_TRANSACTION_HAS_BEEN_RECEIVED","id":7}`
	header := signature.Sign([]byte(secret), clk.Now(), []byte(body))
	ts, v1, _ := strings.Cut(header, ",")
	sig := strings.TrimPrefix(v1, "v1=")
	other := strings.TrimPrefix(signature.Sign([]byte("another secret"), clk.Now(), []byte(body)), ts+",v1=")
	post := func(h string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/v1/ledger/webhooks", strings.NewReader(body))
		req.Header.Set(signature.Header, h)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(header); got != http.StatusAccepted {
		t.Fatalf("first delivery: %d, want 202", got)
	}
	clk.Advance(time.Minute) // still inside the 5-minute window
	for name, h := range map[string]string{
		"identical":            header,
		"parts reordered":      v1 + "," + ts,
		"spaces":               ts + ", " + v1 + " ",
		"extra part":           header + ",v0=deadbeef",
		"extra part first":     "scheme=x," + header,
		"upper-case hex":       ts + ",v1=" + strings.ToUpper(sig),
		"another v1 first":     ts + ",v1=" + other + ",v1=" + sig,
		"another v1 after":     header + ",v1=" + other,
		"the same v1 twice":    header + ",v1=" + sig,
		"timestamp with zeros": "t=0" + strings.TrimPrefix(ts, "t=") + "," + v1,
	} {
		got := post(h)
		if name == "timestamp with zeros" {
			// Signed over another timestamp text: it does not verify.
			if got != http.StatusUnauthorized {
				t.Errorf("%s: %d, want 401", name, got)
			}
			continue
		}
		if got != http.StatusOK {
			t.Errorf("%s: %d, want 200 (a replay, acknowledged and not queued)", name, got)
		}
	}
	_, events, err := reg.QueueDepth(context.Background())
	if err != nil || events != 1 {
		t.Fatalf("events queued: %d (%v), want 1", events, err)
	}
	// Another body at the same second is not a replay.
	body2 := strings.Replace(body, `"id":7`, `"id":8`, 1)
	req, _ := http.NewRequest("POST", srv.URL+"/v1/ledger/webhooks", strings.NewReader(body2))
	req.Header.Set(signature.Header, signature.Sign([]byte(secret), clk.Now().Add(-time.Minute), []byte(body2)))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("another event in the same second: %d, want 202", resp.StatusCode)
	}
}
