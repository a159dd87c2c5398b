package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
)

// withClientCerts serves the fixture's registry again, through an API that
// accepts bindings (--client-ca set), and returns a client per admin.
func (f *fixture) withClientCerts() []*Client {
	f.t.Helper()
	api := NewAPI(f.reg, nil)
	api.AcceptClientCertBindings(true)
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	f.t.Cleanup(srv.Close)
	var out []*Client
	for _, tok := range f.tokens {
		c, err := NewClient(srv.URL, tok, srv.Client())
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// A binding is filed at creation or by an edit, shown in the key's view and
// the diff, and applied by the quorum; "none" unbinds.
func TestClientCertBinding(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 2)
	ctx := context.Background()
	c := f.withClientCerts()
	sum := sha256.Sum256([]byte("partner certificate"))
	fp := hex.EncodeToString(sum[:])

	filed := must(c[0].Create(ctx, KeyCreate{Name: "bound", Entities: []int64{1}, ClientCertSHA256: ptr(fp)}))(t)
	if filed.Key.ClientCertSHA256 != fp || filed.Request.Diff.After.ClientCert != fp {
		t.Fatalf("created %+v with diff %+v, want bound to %s", filed.Key, filed.Request.Diff, fp)
	}
	must(c[1].Decide(ctx, filed.Request.ID, "approve"))(t)
	if k := must(c[0].Key(ctx, filed.Key.ID))(t); k.ClientCertSHA256 != fp {
		t.Fatalf("GET: %+v", k)
	}
	edit := must(c[0].Edit(ctx, filed.Key.ID, KeyEdit{ClientCertSHA256: ptr("none")}))(t)
	if d := edit.Request.Diff; d.Before.ClientCert != fp || d.After.ClientCert != "none" || edit.Key.ClientCertSHA256 != fp {
		t.Fatalf("unbinding: key %+v, diff %+v", edit.Key, d)
	}
	if k := must(c[1].Decide(ctx, edit.Request.ID, "approve"))(t).Key; k.ClientCertSHA256 != "" {
		t.Fatalf("after unbinding: %+v", k)
	}
}

func TestClientCertBindingRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 2) // without --client-ca
	ctx := context.Background()
	filed := must(f.clients[0].CreateKey(ctx, "k", []int64{1}))(t)
	must(f.clients[1].Decide(ctx, filed.Request.ID, "approve"))(t)
	sum := sha256.Sum256([]byte("partner certificate"))
	fp := hex.EncodeToString(sum[:])
	path, tok := "/v1/keys/"+filed.Key.ID, f.tokens[0]
	tests := []struct{ name, method, path, body, msg string }{
		{"bind without --client-ca", "PATCH", path, `{"client_cert_sha256":"` + fp + `"}`, "--client-ca is not set"},
		{"create bound without --client-ca", "POST", "/v1/keys", `{"name":"b","entities":[1],"client_cert_sha256":"` + fp + `"}`, "--client-ca is not set"},
		{"short", "PATCH", path, `{"client_cert_sha256":"abcd"}`, "64 hex digits"},
		{"empty", "PATCH", path, `{"client_cert_sha256":""}`, "or none to unbind"},
		{"none at creation", "POST", "/v1/keys", `{"name":"b","entities":[1],"client_cert_sha256":"none"}`, "leave it out"},
		{"unbind an unbound key", "PATCH", path, `{"client_cert_sha256":"none"}`, "changes nothing"},
	}
	for _, tt := range tests {
		status, _, body := f.call(tt.method, tt.path, tok, tt.body)
		f.wantError(tt.name, status, body, 400, tt.msg)
	}
}
