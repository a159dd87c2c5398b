package proxy

import (
	"bufio"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestClassifyName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		class   headerClass
		variant bool
	}{
		{"X-Ledger-Reporting-API-Key", key, false},
		{"x-ledger-reporting-api-key", key, false},
		{"X_Ledger_Reporting_API_Key", drop, true},
		{"X-Ledger-Workspace", workspace, false},
		{"X-LEDGER-WORKSPACE", workspace, false},
		{"X_Ledger_Workspace", drop, true},
		{"X-Ledger-API-User", drop, false},
		{"X_Ledger_API_User", drop, true},
		{"x-ledger-api-key", drop, false},
		{"X-Ledger-Store-Auth-Token", drop, false},
		{"X-Ledger-Anything-New", drop, false},
		{"X-Ledger-" + strings.Repeat("A", 60), drop, false},
		{"Connection", drop, false},
		{"Keep-Alive", drop, false},
		{"Transfer-Encoding", drop, false},
		{"Upgrade", drop, false},
		{"Proxy-Authorization", drop, false},
		{"Authorization", drop, false},
		{"Cookie", drop, false},
		{"Accept-Encoding", drop, false},
		{"X-Original-URL", drop, false},
		{"Forwarded", forwarded, false},
		{"X-Forwarded-For", forwarded, false},
		{"X_Forwarded_For", forwarded, true},
		{"X-Real-IP", forwarded, false},
		// Regression: only five X-Forwarded-* names were known, so
		// X-Forwarded-Uri, -Path, -Server or a bare "X_Forwarded_" reached
		// the upstream from an untrusted client (found by FuzzScanHeaders).
		{"X-Forwarded-Uri", forwarded, false},
		{"x-forwarded-path", forwarded, false},
		{"X_Forwarded_", forwarded, true},
		{"X-Forwarded-" + strings.Repeat("S", 60), forwarded, false},
		// Regression: "Proxy" (httpoxy) and Proxy-* names other than three
		// reached the upstream (found by FuzzScanHeaders).
		{"Proxy", drop, false},
		{"Proxy-Foo", drop, false},
		{"Proxy-Connection", drop, false},
		{"Proxy-" + strings.Repeat("C", 60), drop, false},
		{"X-HTTP-Method-Override", refuse, false},
		{"X-Method-Override", refuse, false},
		{"Accept", keep, false},
		{"User-Agent", keep, false},
		{"X-Request-Id", keep, false},
		{strings.Repeat("B", 100), keep, false},
	}
	for _, tt := range tests {
		class, variant := classifyName([]byte(tt.name))
		if class != tt.class || variant != tt.variant {
			t.Errorf("classifyName(%q) = %v, %v; want %v, %v", tt.name, class, variant, tt.class, tt.variant)
		}
	}
}

func parseRequest(t testing.TB, raw string) *fasthttp.Request {
	t.Helper()
	req := &fasthttp.Request{}
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatalf("parse request: %v", err)
	}
	return req
}

func TestScanHeaders(t *testing.T) {
	t.Parallel()
	req := parseRequest(t, "GET /accounts HTTP/1.1\r\n"+
		"Host: gw\r\n"+
		"X-Ledger-Reporting-API-Key: lrk_a\r\n"+
		"X-Ledger-Workspace: acme\r\n"+
		"X_Ledger_API_User: admin\r\n"+
		"X-Ledger-API-User: admin\r\n"+
		"Connection: keep-alive, X-Ledger-API-Key, X-Custom\r\n"+
		"X-Custom: 1\r\n"+
		"X-Forwarded-For: 1.2.3.4\r\n"+
		"Accept: application/json\r\n\r\n")
	var s headerScan
	scanHeaders(&req.Header, &s, false)
	if s.keys != 1 || string(s.key) != "lrk_a" || s.workspaces != 1 || string(s.workspace) != "acme" {
		t.Fatalf("scan = keys %d %q, workspaces %d %q", s.keys, s.key, s.workspaces, s.workspace)
	}
	applyDeletes(&req.Header, &s)
	for _, gone := range []string{"X-Ledger-Reporting-API-Key", "X-Ledger-Workspace", "X_Ledger_API_User", "X-Ledger-API-User", "Connection", "X-Custom", "X-Forwarded-For", "X-Ledger-API-Key"} {
		if v := req.Header.Peek(gone); v != nil {
			t.Errorf("%s = %q after rewrite, want deleted", gone, v)
		}
	}
	if string(req.Header.Peek("Accept")) != "application/json" {
		t.Errorf("Accept was deleted")
	}
}

func TestScanHeadersTrustedKeepsForwarded(t *testing.T) {
	t.Parallel()
	req := parseRequest(t, "GET /accounts HTTP/1.1\r\nHost: gw\r\nX-Forwarded-For: 1.2.3.4\r\nForwarded: for=1.2.3.4\r\n\r\n")
	var s headerScan
	scanHeaders(&req.Header, &s, true)
	applyDeletes(&req.Header, &s)
	if string(req.Header.Peek("X-Forwarded-For")) != "1.2.3.4" || len(req.Header.Peek("Forwarded")) == 0 {
		t.Errorf("forwarding headers from a trusted proxy were deleted")
	}
}

// Regression (found by the contract test, issue 17): fasthttp keeps a
// header whose name has a space in it, and the gateway forwarded it; the
// upstream refused the request in text/plain, which reached the partner.
// A name that is not a token now refuses the request before the upstream.
func TestScanHeadersFlagsNamesThatAreNotTokens(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		headers string
		bad     bool
	}{
		{"Bad Header: x\r\n", true},
		{"X-Note: a b\r\n", false},
		{"X-A!#$%&'*+.^_`|~9: x\r\n", false},
	} {
		req := parseRequest(t, "GET /accounts HTTP/1.1\r\nHost: gw\r\n"+tt.headers+"\r\n")
		var s headerScan
		scanHeaders(&req.Header, &s, false)
		if s.badName != tt.bad {
			t.Errorf("%q: badName %v, want %v", tt.headers, s.badName, tt.bad)
		}
	}
}

func TestScanHeadersCountsDuplicates(t *testing.T) {
	t.Parallel()
	req := parseRequest(t, "GET /accounts HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: a\r\nx-ledger-reporting-api-key: b\r\nX-HTTP-Method-Override: DELETE\r\nConnection: close\r\n\r\n")
	var s headerScan
	scanHeaders(&req.Header, &s, false)
	if s.keys != 2 {
		t.Errorf("keys = %d, want 2", s.keys)
	}
	if !s.override {
		t.Errorf("method override not detected")
	}
	if !s.clientClose {
		t.Errorf("Connection: close not seen")
	}
}

// FuzzConnectionTokens checks the tokens a Connection value names against
// an independent split: every non-empty token but close and keep-alive is
// deleted, trimmed, and nothing else is. (Trimming any Unicode space, more
// than HTTP's SP and HTAB, can only delete more.)
func FuzzConnectionTokens(f *testing.F) {
	for _, seed := range []string{"close", "keep-alive, X-Ledger-API-User", " , ,X-A,,", "X-A,X-B , x-c", "",
		"Close, KEEP-ALIVE", "x-ledger-api-user\t,\tHost", "a b, c"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var s headerScan
		s.connectionTokens([]byte(v))
		var want []string
		for _, tok := range strings.Split(v, ",") {
			tok = strings.TrimSpace(tok)
			if tok != "" && !strings.EqualFold(tok, "close") && !strings.EqualFold(tok, "keep-alive") {
				want = append(want, tok)
			}
		}
		var got []string
		for _, d := range s.dels {
			got = append(got, string(d))
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("connectionTokens(%q) deletes %q, want %q", v, got, want)
		}
	})
}

func parseResponse(t testing.TB, raw string) *fasthttp.Response {
	t.Helper()
	resp := &fasthttp.Response{}
	if err := resp.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatalf("parse response: %v", err)
	}
	return resp
}

func TestScrubResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		headers    string
		gone, kept []string
	}{
		{"typical answer", "Date: now\r\nX-Request-Id: 1\r\n", nil, []string{"Date", "X-Request-Id", "Content-Type"}},
		{"hop-by-hop", "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\nTE: trailers\r\nProxy-Authenticate: Basic\r\nX-Request-Id: 1\r\n",
			[]string{"Keep-Alive", "Proxy-Connection", "Upgrade", "TE", "Proxy-Authenticate"}, []string{"X-Request-Id"}},
		// fasthttp keeps a Connection value other than a lone "close" as a
		// header: the names in it are hop-by-hop too.
		{"names in Connection", "Connection: keep-alive, X-Internal-Trace\r\nX-Internal-Trace: abc\r\nX-Request-Id: 1\r\n",
			[]string{"Connection", "X-Internal-Trace"}, []string{"X-Request-Id"}},
		{"Connection close and a name", "Connection: X-Internal-Trace, close\r\nX-Internal-Trace: abc\r\n",
			[]string{"X-Internal-Trace"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := parseResponse(t, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"+tt.headers+"\r\n{}")
			var s headerScan
			scrubResponse(&resp.Header, &s)
			for _, name := range tt.gone {
				if v := resp.Header.Peek(name); v != nil {
					t.Errorf("%s = %q after scrub, want deleted", name, v)
				}
			}
			for _, name := range tt.kept {
				if len(resp.Header.Peek(name)) == 0 {
					t.Errorf("%s was deleted", name)
				}
			}
		})
	}
}

func TestResponseHopByHop(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Connection": true, "connection": true, "Keep-Alive": true, "TE": true, "Trailer": true, "Upgrade": true,
		"Proxy-Connection": true, "Proxy-Authenticate": true,
		"Content-Type": false, "Date": false, "Te-X": false, "Upgraded": false, "X-Connection": false,
	} {
		if got := responseHopByHop([]byte(name)); got != want {
			t.Errorf("responseHopByHop(%q) = %v, want %v", name, got, want)
		}
	}
}
