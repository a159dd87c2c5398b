package main

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"reportgate/admin"
	"reportgate/internal/redistest"
	"reportgate/internal/testkit"
	"reportgate/registry"
)

// keys create --client-cert reads the partner's certificate and files its
// fingerprint; keys edit --client-cert-sha256 none unbinds.
func TestCLIClientCertBinding(t *testing.T) {
	rs := redistest.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer rc.Close()
	reg, err := registry.New(rc, "acme", registry.Options{Quorum: 1})
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for _, name := range []string{"alice", "bob"} {
		_, tok, err := reg.CreateAdmin(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	api := admin.NewAPI(reg, nil)
	api.AcceptClientCertBindings(true)
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	as := func(i int, args ...string) (int, string, string) {
		t.Helper()
		return cli(t, append(append([]string{"keys"}, args...), "--admin-url", srv.URL, "--token", tokens[i])...)
	}
	leaf := testkit.NewCA(t, "partners").Issue(t, testkit.LeafOptions{Client: true, CommonName: "auditor"})
	certFile, _ := leaf.Write(t, t.TempDir(), "auditor")
	fp := hex.EncodeToString(leaf.Fingerprint[:])

	code, out, errOut := as(0, "create", "--name", "Auditor", "--entities", "1", "--client-cert", certFile)
	ids := idPattern.FindAllString(out, -1)
	if code != 0 || len(ids) < 2 || !strings.Contains(out, "client certificate "+fp) {
		t.Fatalf("keys create --client-cert: %d\n%s%s", code, out, errOut)
	}
	reqID, keyID := ids[0], ids[1]
	as(1, "approve", reqID)
	if code, out, _ = as(0, "show", keyID); code != 0 || !strings.Contains(out, fp) {
		t.Fatalf("show: %d\n%s", code, out)
	}
	code, out, _ = as(0, "edit", keyID, "--client-cert-sha256", "none")
	if code != 0 || !strings.Contains(out, "client certificate "+fp+" → ") || !strings.HasSuffix(strings.TrimSpace(out), "client certificate none") {
		t.Fatalf("edit --client-cert-sha256 none: %d\n%s", code, out)
	}

	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"both", []string{"create", "--name", "n", "--entities", "1", "--client-cert", certFile, "--client-cert-sha256", fp}, "not both"},
		{"unreadable file", []string{"edit", keyID, "--client-cert", filepath.Join(t.TempDir(), "missing.crt")}, "missing.crt"},
	} {
		if code, _, errOut := as(0, tc.args...); code != 2 || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%s: exit %d, stderr %q; want 2 mentioning %q", tc.name, code, errOut, tc.msg)
		}
	}
}
