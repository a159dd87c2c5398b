package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/internal/redistest"
	"reportgate/internal/testkit"
	"reportgate/registry"
)

// fixture is the admin API on a real registry, behind an httptest server.
type fixture struct {
	t       *testing.T
	redis   *redistest.Server
	reg     *registry.Registry
	srv     *httptest.Server
	logs    *testkit.LogBuffer
	admins  []registry.Admin
	tokens  []string
	clients []*Client
}

func newFixture(t *testing.T, quorum, nAdmins int) *fixture {
	t.Helper()
	rs := redistest.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: rs.Addr(), MaxRetries: 1, DialerRetries: 1,
		DialerRetryTimeout: time.Millisecond, MinRetryBackoff: time.Millisecond, MaxRetryBackoff: 5 * time.Millisecond})
	t.Cleanup(func() { rc.Close() })
	f := &fixture{t: t, redis: rs, logs: &testkit.LogBuffer{}}
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	if f.reg, err = registry.New(rc, "acme", registry.Options{Quorum: quorum, Logger: logger}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	NewAPI(f.reg, logger).Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	for i := 0; i < nAdmins; i++ {
		a, token, err := f.reg.CreateAdmin(context.Background(), "admin "+string(rune('A'+i)))
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewClient(f.srv.URL, token, f.srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		f.admins, f.tokens, f.clients = append(f.admins, a), append(f.tokens, token), append(f.clients, c)
	}
	return f
}

// call sends a raw request and returns the status and the body.
func (f *fixture) call(method, path, token, body string) (int, http.Header, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// wantError checks the status and the one error body shape.
func (f *fixture) wantError(what string, status int, body []byte, wantStatus int, wantInMessage string) {
	f.t.Helper()
	var e ErrorBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		f.t.Errorf("%s: body %q is not an ErrorBody: %v", what, body, err)
		return
	}
	if status != wantStatus || e.StatusCode != wantStatus || e.Name == "" || !strings.Contains(e.Message, wantInMessage) {
		f.t.Errorf("%s: %d %+v, want %d with a message containing %q", what, status, e, wantStatus, wantInMessage)
	}
}

func apiStatus(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func TestWorkflowThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2, 3)
	ctx := context.Background()
	alice, bob, carol := f.clients[0], f.clients[1], f.clients[2]

	filed := must(alice.CreateKey(ctx, "Auditor", []int64{2, 1}))(t)
	if filed.Key.Status != "PENDING_APPROVAL" || filed.Request == nil || filed.Request.Quorum != 2 ||
		len(filed.Request.Diff.After.Entities) != 2 {
		t.Fatalf("filed: %+v", filed)
	}
	rid, kid := filed.Request.ID, filed.Key.ID
	_, err := alice.Decide(ctx, rid, "approve")
	if apiStatus(err) != http.StatusForbidden {
		t.Fatalf("self-approval: %v, want 403", err)
	}
	must(bob.Decide(ctx, rid, "approve"))(t)
	done := must(carol.Decide(ctx, rid, "approve"))(t)
	if done.Key.Status != "PENDING_SECRET" || done.Request.Status != "APPROVED" || len(done.Request.Approvals) != 2 {
		t.Fatalf("after quorum: %+v", done)
	}
	if _, err := bob.Reveal(ctx, kid); apiStatus(err) != http.StatusForbidden {
		t.Fatalf("reveal by another admin: %v, want 403", err)
	}
	rev := must(alice.Reveal(ctx, kid))(t)
	if !registry.CheckKeyFormat([]byte(rev.Secret)) || rev.Key.Status != "ACTIVE" || rev.Key.DisplayPrefix != rev.Secret[:12] {
		t.Fatalf("reveal: %+v", rev.Key)
	}
	if _, err := alice.Reveal(ctx, kid); apiStatus(err) != http.StatusGone {
		t.Fatalf("second reveal: %v, want 410", err)
	}

	if k := must(bob.KeyAction(ctx, kid, "suspend"))(t); k.Status != "SUSPENDED" {
		t.Fatalf("suspend: %s", k.Status)
	}
	must(bob.KeyAction(ctx, kid, "unsuspend"))(t)
	name := "Auditor 2027"
	edit := must(bob.EditKey(ctx, kid, &name, nil))(t)
	if edit.Request.Diff.Before.Name != "Auditor" || edit.Request.Diff.After.Name != name {
		t.Fatalf("edit diff: %+v", edit.Request.Diff)
	}
	if _, err := carol.Revoke(ctx, kid); apiStatus(err) != http.StatusConflict {
		t.Fatalf("second pending request: %v, want 409", err)
	}
	must(alice.Decide(ctx, edit.Request.ID, "approve"))(t)
	if k := must(carol.Decide(ctx, edit.Request.ID, "approve"))(t).Key; k.Name != name {
		t.Fatalf("edit not applied: %+v", k)
	}

	revoke := must(carol.Revoke(ctx, kid))(t)
	if revoke.Key.Status != "SUSPENDED" {
		t.Fatalf("revocation filed: %+v", revoke.Key)
	}
	if _, err := alice.KeyAction(ctx, kid, "unsuspend"); apiStatus(err) != http.StatusConflict {
		t.Fatalf("unsuspend during revocation: %v, want 409", err)
	}
	if k := must(alice.Decide(ctx, revoke.Request.ID, "reject"))(t).Key; k.Status != "ACTIVE" {
		t.Fatalf("rejected revocation: %s, want ACTIVE", k.Status)
	}

	got := must(bob.Request(ctx, revoke.Request.ID))(t)
	pending := must(bob.ListRequests(ctx, "PENDING", "", 0))(t)
	keys := must(bob.ListKeys(ctx, "", 0))(t)
	audit := must(bob.Audit(ctx, "", 0))(t)
	admins := must(bob.Admins(ctx))(t)
	if got.Status != "REJECTED" || len(got.Rejections) != 1 || len(pending.Requests) != 0 || len(keys.Keys) != 1 ||
		!audit.Verification.OK || len(audit.Entries) == 0 || len(admins.Admins) != 3 {
		t.Fatalf("reads: request %+v, %d pending, %d keys, audit %+v, %d admins",
			got, len(pending.Requests), len(keys.Keys), audit.Verification, len(admins.Admins))
	}
}

func TestStatusCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2, 3)
	ctx := context.Background()
	tok := f.tokens[0]
	filed := must(f.clients[0].CreateKey(ctx, "k", []int64{1}))(t)
	kid, rid := filed.Key.ID, filed.Request.ID
	must(f.reg.DisableAdmin(ctx, f.admins[2].ID))(t)
	unknownKey := "key_019ca9450a00Au4xmGbosFGs"

	tests := []struct {
		name, method, path, token, body string
		status                          int
		msg                             string
	}{
		{"no token", "GET", "/v1/keys", "", "", 401, "missing bearer token"},
		{"not bearer", "GET", "/v1/keys", "", "", 401, "missing bearer token"},
		{"garbage token", "GET", "/v1/keys", "nonsense", "", 401, "invalid admin token"},
		{"a reporting key as token", "GET", "/v1/keys", mustKey(t), "", 401, "invalid admin token"},
		{"disabled admin", "GET", "/v1/keys", f.tokens[2], "", 401, "disabled"},
		{"unknown key", "GET", "/v1/keys/" + unknownKey, tok, "", 404, "no key"},
		{"malformed key id", "GET", "/v1/keys/nope", tok, "", 404, "no key"},
		{"unknown request", "POST", "/v1/requests/req_019ca9450a00Au4xmGbosFGs/approve", f.tokens[1], "", 404, "no request"},
		{"unknown route", "GET", "/v1/nothing", tok, "", 404, "no route GET /v1/nothing"},
		{"wrong method", "GET", "/v1/keys/" + kid + "/reveal", tok, "", 405, "use POST"},
		{"self-approval", "POST", "/v1/requests/" + rid + "/approve", tok, "", 403, "requester cannot approve"},
		{"abort by another", "POST", "/v1/requests/" + rid + "/abort", f.tokens[1], "", 403, "only the requester"},
		{"edit during creation", "PATCH", "/v1/keys/" + kid, tok, `{"name":"x"}`, 409, "pending request"},
		{"reveal before approval", "POST", "/v1/keys/" + kid + "/reveal", tok, "", 409, "PENDING_APPROVAL"},
		{"quorum unreachable", "POST", "/v1/keys", tok, `{"name":"k","entities":[1]}`, 422, "unreachable"},
		{"unknown field", "POST", "/v1/keys", tok, `{"name":"k","entities":[1],"scope":"all"}`, 400, `unknown field "scope"`},
		{"malformed JSON", "POST", "/v1/keys", tok, `{"name":`, 400, "malformed JSON"},
		{"syntax error", "POST", "/v1/keys", tok, `{"name" "k"}`, 400, "at byte"},
		{"trailing data", "POST", "/v1/keys", tok, `{"name":"k","entities":[1]} {}`, 400, "after the JSON object"},
		{"wrong type", "POST", "/v1/keys", tok, `{"name":"k","entities":["1"]}`, 400, `field "entities"`},
		{"fractional entity", "POST", "/v1/keys", tok, `{"name":"k","entities":[1.5]}`, 400, `field "entities"`},
		{"empty body", "POST", "/v1/keys", tok, ``, 400, "empty"},
		{"array body", "POST", "/v1/keys", tok, `[]`, 400, "where an object is expected"},
		{"invalid entity", "POST", "/v1/keys", tok, `{"name":"k","entities":[0]}`, 400, "not a positive"},
		{"empty edit name", "PATCH", "/v1/keys/" + kid, tok, `{"name":""}`, 400, "name: must not be empty"},
		{"body on an action", "POST", "/v1/keys/" + kid + "/suspend", tok, `{"force":true}`, 400, "unknown field"},
		{"too large", "POST", "/v1/keys", tok, `{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, 413, "larger than"},
		{"unknown query parameter", "GET", "/v1/keys?page=2", tok, "", 400, `unknown parameter "page"`},
		{"repeated query parameter", "GET", "/v1/keys?limit=1&limit=2", tok, "", 400, "given 2 times"},
		{"bad limit", "GET", "/v1/keys?limit=-1", tok, "", 400, "not a positive integer"},
		{"limit too big", "GET", "/v1/keys?limit=1000", tok, "", 400, "outside 1..200"},
		{"bad cursor", "GET", "/v1/requests?cursor=x", tok, "", 400, "cursor"},
		{"bad status", "GET", "/v1/requests?status=OPEN", tok, "", 400, "status"},
	}
	for _, tt := range tests {
		status, h, body := f.call(tt.method, tt.path, tt.token, tt.body)
		f.wantError(tt.name, status, body, tt.status, tt.msg)
		if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", tt.name, h)
		}
		if status == 401 && h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
		}
		if status == 405 && h.Get("Allow") != "POST" {
			t.Errorf("%s: Allow = %q, want POST", tt.name, h.Get("Allow"))
		}
	}
}

func mustKey(t *testing.T) string {
	k, err := registry.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRedisDownIs503(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 2)
	kid := must(f.clients[0].CreateKey(context.Background(), "k", []int64{1}))(t).Key.ID
	f.redis.Stop()
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/keys", ""},
		{"GET", "/v1/keys/" + kid, ""},
		{"POST", "/v1/keys", `{"name":"k","entities":[1]}`},
	} {
		status, _, body := f.call(c.method, c.path, f.tokens[0], c.body)
		f.wantError(c.method+" "+c.path+" with Redis down", status, body, 503, "unavailable")
		if strings.Contains(string(body), "127.0.0.1") {
			t.Errorf("503 body leaks the Redis address: %s", body)
		}
	}
	f.redis.Restart() // empty: the admin is gone, now a clear 401
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _, body := f.call("GET", "/v1/keys", f.tokens[0], "")
		if status == 401 {
			break
		}
		if status != 503 || time.Now().After(deadline) {
			t.Fatalf("after restart: %d %s, want 503 then 401", status, body)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
}

func TestAdminsNeverShowTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 2)
	status, _, body := f.call("GET", "/v1/admins", f.tokens[0], "")
	if status != 200 || !strings.Contains(string(body), f.admins[1].ID) {
		t.Fatalf("GET /v1/admins: %d %s", status, body)
	}
	for _, tok := range f.tokens {
		if strings.Contains(string(body), tok[4:20]) || strings.Contains(f.logs.String(), tok[4:20]) {
			t.Fatal("an admin token appears in GET /v1/admins or in the logs")
		}
	}
}
