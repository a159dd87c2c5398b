package ledgersim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"reportgate/internal/ledgersim"
	"reportgate/internal/testkit"
)

// The API user's limit: N requests a window, then 420 with the
// upstream's four headers and an Error, until the window ends.
func TestRateLimitAnswers420(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Unix(1_700_000_000, 200_000_000)) // 0.2 s into a second
	cfg := ledgersim.DefaultConfig()
	cfg.RateLimit, cfg.Now = 3, clk.Now
	sim, err := ledgersim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	get := func(user string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/accounts/1", nil)
		if user != "" {
			req.Header.Set(ledgersim.HeaderAPIUser, user)
		}
		rec := httptest.NewRecorder()
		sim.Handler().ServeHTTP(rec, req)
		return rec
	}
	get("") // unauthenticated: refused, not counted
	for i := range 3 {
		if rec := get(ledgersim.DefaultAPIUser); rec.Code != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, rec.Code)
		}
	}
	rec := get(ledgersim.DefaultAPIUser)
	if rec.Code != 420 {
		t.Fatalf("fourth request: %d, want 420", rec.Code)
	}
	want := map[string]string{
		"X-Ratelimit-Limit": "3", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "1700000001", "Retry-After": "1",
	}
	for h, v := range want {
		if got := rec.Header().Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
	var e struct {
		Message    string `json:"message"`
		Name       string `json:"name"`
		StatusCode int    `json:"status_code"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.StatusCode != 420 || e.Name == "" || e.Message == "" {
		t.Errorf("body %s: want the Error shape with status_code 420", rec.Body)
	}
	if sim.RateLimited() != 1 {
		t.Errorf("RateLimited() = %d, want 1", sim.RateLimited())
	}
	clk.Advance(800 * time.Millisecond) // the next second
	if rec := get(ledgersim.DefaultAPIUser); rec.Code != http.StatusOK {
		t.Errorf("in the next window: %d, want 200", rec.Code)
	}
}
