package ledgersim_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"reportgate/internal/ledgersim"
)

func TestRecordingShowsWhatWasReceived(t *testing.T) {
	t.Parallel()
	s := start(t)
	h := http.Header{
		ledgersim.HeaderAPIUser: {ledgersim.DefaultAPIUser},
		"X-Forwarded-For":       {"10.0.0.1", "10.0.0.2"},
		"X-Custom":              {"a b"},
	}
	doWith(t, s, http.MethodGet, "/accounts?entity=1&entity=2&name=a%20b", nil, h)
	doWith(t, s, http.MethodGet, "/users", nil, nil) // refused (401), still recorded
	do(t, s, http.MethodGet, "/_sim/dataset", nil)   // control: not recorded

	var got []ledgersim.RecordedRequest
	getJSON(t, s, "/_sim/requests", &got)
	if len(got) != 2 {
		t.Fatalf("recorded %d requests, want 2: %+v", len(got), got)
	}
	r := got[0]
	if r.Method != "GET" || r.Path != "/accounts" || r.RawQuery != "entity=1&entity=2&name=a%20b" ||
		r.RequestURI != "/accounts?entity=1&entity=2&name=a%20b" || r.Seq != 1 {
		t.Fatalf("recorded %+v, want GET /accounts?entity=1&entity=2&name=a%%20b as seq 1", r)
	}
	for name, want := range h {
		if !slices.Equal(r.Header.Values(name), want) {
			t.Errorf("header %s recorded as %q, want %q", name, r.Header.Values(name), want)
		}
	}
	if got[1].Path != "/users" || got[1].Header.Get(ledgersim.HeaderAPIUser) != "" {
		t.Errorf("second request recorded as %+v, want /users without the user header", got[1])
	}
	if inproc := s.Requests(); len(inproc) != 2 || inproc[0].RawQuery != r.RawQuery {
		t.Errorf("Requests() = %+v, want the same two", inproc)
	}

	var since []ledgersim.RecordedRequest
	getJSON(t, s, "/_sim/requests?since=1", &since)
	if len(since) != 1 || since[0].Seq != 2 {
		t.Fatalf("since=1: %+v, want only seq 2", since)
	}
	post(t, s, http.MethodDelete, "/_sim/requests", nil, http.StatusOK, nil)
	if left := s.Requests(); len(left) != 0 {
		t.Fatalf("after DELETE /_sim/requests: %d recorded, want 0", len(left))
	}
	do(t, s, http.MethodGet, "/entities", nil)
	if after := s.Requests(); len(after) != 1 || after[0].Seq != 3 {
		t.Fatalf("after clearing, the next request is %+v, want seq 3", after)
	}
}

func TestRecordingKeepsTheLastThousand(t *testing.T) {
	t.Parallel()
	s, err := ledgersim.New(ledgersim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for i := 1; i <= 1005; i++ {
		s.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", fmt.Sprintf("/entities?id=%d", i), nil))
	}
	got := s.Requests()
	if len(got) != 1000 || got[0].Seq != 6 || got[999].Seq != 1005 || got[0].RawQuery != "id=6" {
		t.Fatalf("kept %d, first seq %d (%s), last seq %d; want 1000 from 6 to 1005", len(got), got[0].Seq, got[0].RawQuery, got[len(got)-1].Seq)
	}
	s.ResetRequests()
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("after ResetRequests: %d kept", n)
	}
}
