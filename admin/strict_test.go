package admin

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Regression (issue 13, item 6): with two Authorization headers the first
// won, so whichever credential a front proxy or a client library put first
// decided who acted. A repeated credential is ambiguous: 400, as on the
// partner listener.
func TestTwoAuthorizationHeadersAre400(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 2)
	for _, tt := range []struct {
		name          string
		first, second string
	}{
		{"two valid tokens", "Bearer " + f.tokens[0], "Bearer " + f.tokens[1]},
		{"valid then garbage", "Bearer " + f.tokens[0], "Bearer nonsense"},
		{"garbage then valid", "Bearer nonsense", "Bearer " + f.tokens[1]},
		{"valid then empty", "Bearer " + f.tokens[0], ""},
	} {
		req, err := http.NewRequest("GET", f.srv.URL+"/v1/keys", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header["Authorization"] = []string{tt.first, tt.second}
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		f.wantError(tt.name, resp.StatusCode, body, http.StatusBadRequest, "Authorization must be sent exactly once")
	}
}

// Regression (issue 13, item 7): encoding/json matches member names without
// regard to case and keeps the last of duplicates, so
// {"name":"x","entities":[1],"ENTITIES":[1,2,3,4,5]} filed a key for
// entities 1 to 5 while a reviewer of the body saw [1]. Every admin body
// refuses duplicate names and names that differ from the documented ones
// only by case (Unicode folding included: "ſ" folds to "s").
func TestAmbiguousFieldNamesAre400(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 2)
	ctx := context.Background()
	k := must(f.clients[0].CreateKey(ctx, "k", []int64{1}))(t)
	must(f.clients[1].Decide(ctx, k.Request.ID, "approve"))(t)
	kid, tok := k.Key.ID, f.tokens[0]
	tests := []struct {
		name, method, path, body, msg string
	}{
		{"case variant after the field", "POST", "/v1/keys", `{"name":"x","entities":[1],"ENTITIES":[1,2,3,4,5]}`,
			`field "ENTITIES": names are case-sensitive; did you mean "entities"?`},
		{"case variant alone", "POST", "/v1/keys", `{"Name":"x","entities":[1]}`, `did you mean "name"?`},
		{"Unicode fold", "POST", "/v1/keys", `{"name":"x","entitieſ":[1,2]}`, `did you mean "entities"?`},
		{"duplicate", "POST", "/v1/keys", `{"name":"x","entities":[1],"entities":[1,2,3]}`, `field "entities" appears twice`},
		{"duplicate name", "POST", "/v1/keys", `{"name":"x","name":"y","entities":[1]}`, `field "name" appears twice`},
		{"escaped duplicate", "POST", "/v1/keys", `{"name":"x","entities":[1],"entit\u0069es":[2]}`, `field "entities" appears twice`},
		{"edit case variant", "PATCH", "/v1/keys/" + kid, `{"Rate_Limit":"100/s"}`, `did you mean "rate_limit"?`},
		{"edit duplicate", "PATCH", "/v1/keys/" + kid, `{"name":"a","name":"b"}`, `field "name" appears twice`},
	}
	for _, tt := range tests {
		status, _, body := f.call(tt.method, tt.path, tok, tt.body)
		f.wantError(tt.name, status, body, http.StatusBadRequest, tt.msg)
	}
	// Nothing was filed by the refused bodies, and the documented spelling
	// still works.
	keys := must(f.clients[0].ListKeys(ctx, "", 0))(t)
	if len(keys.Keys) != 1 {
		t.Fatalf("%d keys after refused bodies, want 1", len(keys.Keys))
	}
	status, _, body := f.call("POST", "/v1/keys", tok, `{"name":"x","entities":[1]}`)
	if status != http.StatusAccepted || !strings.Contains(string(body), `"entities":[1]`) {
		t.Fatalf("documented body: %d %s", status, body)
	}
}
