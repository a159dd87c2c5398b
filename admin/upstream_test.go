package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"reportgate/ratelimit"
)

// fakeBudget is an UpstreamBudget with fixed answers.
type fakeBudget struct{ use ratelimit.KeyUse }

func (fakeBudget) Limit() ratelimit.Limit { return ratelimit.Limit{Count: 30, Per: 1e9, Burst: 3} }
func (fakeBudget) Window() float64        { return 1 }
func (fakeBudget) Share() (float64, bool, bool) {
	return 17, true, true
}
func (b fakeBudget) Use(context.Context, string) (ratelimit.KeyUse, error) { return b.use, nil }

// GET /v1/keys/{id}/upstream reports the budget's view of a key, says when
// there is no budget, and answers 404 for an unknown key.
func TestKeyUpstream(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 2)
	ctx := context.Background()
	k := must(f.clients[0].CreateKey(ctx, "k", []int64{1}))(t)
	path := "/v1/keys/" + k.Key.ID + "/upstream"

	status, _, body := f.call("GET", path, f.tokens[0], "")
	if status != http.StatusOK || string(body) != `{"key_id":"`+k.Key.ID+`","enabled":false,"sent_24h":0,"refused_24h":0}`+"\n" {
		t.Errorf("without a budget: %d %s", status, body)
	}
	status, _, body = f.call("GET", "/v1/keys/key_unknown/upstream", f.tokens[0], "")
	f.wantError("unknown key", status, body, http.StatusNotFound, "")

	use := ratelimit.KeyUse{Sent24h: 97, Refused24h: 60}
	use.LastWindow.Asked, use.LastWindow.Sent, use.LastWindow.Refused = 25, 17, 8
	api := NewAPI(f.reg, nil)
	api.ServeUpstreamBudget(fakeBudget{use: use})
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens[0])
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got KeyUpstream
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	if !got.Enabled || got.Budget != "30/s" || got.BudgetBurst != 3 || got.Contended == nil || !*got.Contended ||
		*got.FairSharePerSecond != 17 || *got.LastWindow != (UpstreamCounts{25, 17, 8}) || got.Sent24h != 97 || got.Refused24h != 60 {
		t.Errorf("with a budget: %+v", got)
	}
}
