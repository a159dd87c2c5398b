package simtest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"reportgate/internal/ledgersim"
	"reportgate/internal/ledgersim/simtest"
)

func TestStartServesOnLoopback(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, ledgersim.DefaultConfig())
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL() = %q, want http://127.0.0.1:<port>", s.URL())
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/entities/1", nil)
	req.Header.Set(ledgersim.HeaderAPIUser, ledgersim.DefaultAPIUser)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e ledgersim.Entity
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || e.ID != 1 {
		t.Fatalf("GET /entities/1 = %d, id %d; want 200, id 1", resp.StatusCode, e.ID)
	}
}
