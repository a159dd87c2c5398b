package origin

import (
	"encoding/json"
	"testing"

	"github.com/valyala/fasthttp"
)

func serve(o *Origin, target string, headers ...string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI(target)
	for i := 0; i+1 < len(headers); i += 2 {
		ctx.Request.Header.Set(headers[i], headers[i+1])
	}
	o.Handler(&ctx)
	return &ctx
}

func TestOriginServesAndCounts(t *testing.T) {
	t.Parallel()
	o := New()
	tests := []struct {
		name, target string
		headers      []string
		status       int
		want         Stats
	}{
		{"filtered list with the operator", ListTarget, []string{"X-Ledger-API-User", APIUser}, 200, Stats{Requests: 1}},
		{"unfiltered list", ListPath + "?page=1", []string{"X-Ledger-API-User", APIUser}, 200, Stats{Requests: 1, Unfiltered: 1}},
		{"leaked key, no operator", TransactionPath, []string{"X-Ledger-Reporting-API-Key", "lrk_x"}, 200, Stats{Requests: 1, KeyLeaks: 1, MissingUser: 1}},
		{"unknown path", "/transactions/1", []string{"X-Ledger-API-User", APIUser}, 404, Stats{Requests: 1, NotFound: 1}},
	}
	for _, tt := range tests {
		o := New()
		ctx := serve(o, tt.target, tt.headers...)
		if got := ctx.Response.StatusCode(); got != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.status)
		}
		if got := o.Stats(); got != tt.want {
			t.Errorf("%s: stats %+v, want %+v", tt.name, got, tt.want)
		}
	}
	ctx := serve(o, StatsPath)
	var s Stats
	if err := json.Unmarshal(ctx.Response.Body(), &s); err != nil || s != (Stats{}) {
		t.Errorf("%s = %s (%v); want zero counters, and not counted itself", StatsPath, ctx.Response.Body(), err)
	}
}

// The bodies are what the benchmarks claim: about 1 KB for the routes the
// load harness drives, and valid JSON the gateway's scope resolution reads.
func TestBodies(t *testing.T) {
	t.Parallel()
	o := New()
	for _, tt := range []struct {
		path     string
		min, max int
	}{
		{ListPath, 900, 1400},
		{TransactionPath, 900, 1200},
		{AccountPath, 500, 800},
		{"/entities/1", 50, 300},
		{"/groups/7", 50, 300},
	} {
		b := o.Body(tt.path)
		if len(b) < tt.min || len(b) > tt.max || !json.Valid(b) {
			t.Errorf("%s: %d bytes (valid JSON %v), want %d–%d", tt.path, len(b), json.Valid(b), tt.min, tt.max)
		}
	}
}

func TestHasPair(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		query string
		want  bool
	}{
		{"entity=1", true}, {"page=1&entity=1", true}, {"entity=1&page=1", true},
		{"entity=10", false}, {"xentity=1", false}, {"", false}, {"entity=1x&entity=2", false},
	} {
		if got := hasPair([]byte(tt.query), "entity=1"); got != tt.want {
			t.Errorf("hasPair(%q) = %v, want %v", tt.query, got, tt.want)
		}
	}
}
