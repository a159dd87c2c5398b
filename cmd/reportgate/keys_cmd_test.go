package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"reportgate/admin"
	"reportgate/internal/redistest"
	"reportgate/registry"
)

// cli runs the binary's run() and returns the exit code and outputs.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

var idPattern = regexp.MustCompile(`(key|req|adm)_[0-9a-f]{12}[0-9A-Za-z]{12}`)

// The admin CLI talks to Redis; the keys CLI to a live admin API on the same
// registry.
func TestCLIWorkflow(t *testing.T) {
	rs := redistest.Start(t)
	redisFlags := []string{"--redis-url", rs.URL(), "--workspace", "acme"}
	var tokens []string
	for _, name := range []string{"alice", "bob", "carol"} {
		code, out, errOut := cli(t, append([]string{"admin", "create-admin", "--name", name}, redisFlags...)...)
		if code != 0 || !strings.HasPrefix(lastLine(out), registry.AdminTokenPrefix) {
			t.Fatalf("create-admin %s: %d\n%s%s", name, code, out, errOut)
		}
		tokens = append(tokens, lastLine(out))
	}
	code, out, _ := cli(t, append([]string{"admin", "list-admins"}, redisFlags...)...)
	if code != 0 || !strings.Contains(out, "alice") || strings.Contains(out, tokens[0][4:]) {
		t.Fatalf("list-admins: %d\n%s", code, out)
	}

	rc := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer rc.Close()
	reg, err := registry.New(rc, "acme", registry.Options{Quorum: 2})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	admin.NewAPI(reg, nil).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	as := func(i int, args ...string) (int, string, string) {
		t.Helper()
		return cli(t, append(append([]string{"keys"}, args...), "--admin-url", srv.URL, "--token", tokens[i])...)
	}

	code, out, errOut := as(0, "create", "--name", "Auditor", "--entities", "2,1")
	ids := idPattern.FindAllString(out, -1)
	if code != 0 || len(ids) < 2 {
		t.Fatalf("keys create: %d\n%s%s", code, out, errOut)
	}
	reqID, keyID := ids[0], ids[1]
	if code, _, errOut = as(0, "approve", reqID); code != 1 || !strings.Contains(errOut, "403") {
		t.Fatalf("self-approval: exit %d, stderr %q; want 1 and a 403", code, errOut)
	}
	as(1, "approve", reqID)
	if code, out, _ = as(2, "approve", reqID); code != 0 || !strings.Contains(out, "APPROVED") {
		t.Fatalf("approve: %d\n%s", code, out)
	}
	code, out, _ = as(0, "reveal", keyID)
	if secret := lastLine(out); code != 0 || !registry.CheckKeyFormat([]byte(secret)) {
		t.Fatalf("reveal: %d, last line %q", code, secret)
	}
	if code, _, errOut = as(0, "reveal", keyID); code != 1 || !strings.Contains(errOut, "410") {
		t.Fatalf("second reveal: %d %q", code, errOut)
	}

	code, out, _ = as(1, "edit", keyID, "--entities", "7")
	editReq := idPattern.FindString(out)
	if code != 0 || !strings.HasPrefix(editReq, "req_") {
		t.Fatalf("edit: %d\n%s", code, out)
	}
	as(0, "approve", editReq)
	as(2, "approve", editReq)
	code, out, _ = as(1, "show", keyID, "--json")
	var k admin.Key
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.Status != "ACTIVE" || len(k.Entities) != 1 || k.Entities[0] != 7 {
		t.Fatalf("show --json: %d %v\n%s", code, err, out)
	}
	for _, args := range [][]string{{"list"}, {"requests"}, {"requests", editReq}, {"requests", "--status", "approved"}, {"audit"}} {
		if code, out, errOut = as(1, args...); code != 0 || out == "" {
			t.Fatalf("keys %v: %d\n%s%s", args, code, out, errOut)
		}
	}
	if !strings.Contains(out, "Chain verified") {
		t.Fatalf("audit output lacks the verification:\n%s", out)
	}
	code, out, _ = as(1, "edit", keyID, "--rate-limit", "50/s", "--rate-limit-burst", "80")
	rateReq := idPattern.FindString(out)
	if code != 0 || !strings.Contains(out, "rate limit default (the gateway's) → ") || !strings.Contains(out, "50/s, burst 80") {
		t.Fatalf("edit --rate-limit: %d\n%s", code, out)
	}
	as(0, "approve", rateReq)
	as(2, "approve", rateReq)
	if code, out, _ = as(1, "show", keyID); code != 0 || !strings.Contains(out, "50/s, burst 80") {
		t.Fatalf("show after the rate-limit edit: %d\n%s", code, out)
	}
	// The gateway says which of its replicas refuse the key now (issue 13.3).
	if code, out, _ = as(1, "suspend", keyID); code != 0 || !strings.Contains(out, "SUSPENDED") ||
		!strings.Contains(out, "Suspended. The only gateway replica refuses it now.\nConfirmed: ") {
		t.Fatalf("suspend: %d %s", code, out)
	}
}

func TestCLIUsageErrors(t *testing.T) {
	for _, v := range []string{"REPORTGATE_ADMIN_TOKEN", "REPORTGATE_ADMIN_URL", "REPORTGATE_REDIS_URL"} {
		t.Setenv(v, "") // restored after the test
		os.Unsetenv(v)
	}
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no keys command", []string{"keys"}, 2, "give a keys command"},
		{"unknown keys command", []string{"keys", "destroy"}, 2, "unknown keys command"},
		{"missing token", []string{"keys", "list", "--admin-url", "http://127.0.0.1:1"}, 2, "REPORTGATE_ADMIN_TOKEN"},
		{"missing argument", []string{"keys", "show", "--token", "x"}, 2, "unexpected arguments"},
		{"create without entities", []string{"keys", "create", "--name", "n", "--token", "x"}, 2, "--entities"},
		{"edit with a burst alone", []string{"keys", "edit", "key_x", "--rate-limit-burst", "5", "--token", "x", "--admin-url", "http://127.0.0.1:1"}, 2, "goes with --rate-limit"},
		{"bad admin url", []string{"keys", "list", "--token", "x", "--admin-url", "ftp://x"}, 2, "admin-url"},
		{"unknown admin command", []string{"admin", "promote"}, 2, "unknown admin command"},
		{"admin without redis", []string{"admin", "list-admins", "--workspace", "acme"}, 2, "redis-url"},
		{"create-admin without name", []string{"admin", "create-admin", "--redis-url", "redis://127.0.0.1:1/0", "--workspace", "acme"}, 2, "--name"},
	}
	for _, tt := range tests {
		code, _, errOut := cli(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%s: exit %d, stderr %q; want %d mentioning %q", tt.name, code, errOut, tt.code, tt.msg)
		}
	}
}
