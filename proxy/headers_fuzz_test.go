package proxy

import (
	"bufio"
	"net/url"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"reportgate/upstream"
)

// FuzzScanHeaders reads a request with arbitrary header lines and checks
// the rewrite of docs/design.md §3 step 5 against an oracle written apart from it:
// the key and workspace headers are counted as a case-insensitive match
// would count them, method overrides are seen in any case and '_'
// spelling, and after the strip-then-add the upstream would get exactly
// one operator identity, the configured Host, and no reporting key,
// workspace, credential, hop-by-hop, forwarding header or header named in
// Connection.
func FuzzScanHeaders(f *testing.F) {
	for _, seed := range []string{
		"X-Ledger-Reporting-API-Key: lrk_a\r\nX-Ledger-Workspace: acme\r\n",
		"x-ledger-reporting-api-key: a\r\nX-LEDGER-REPORTING-API-KEY: b\r\n",
		"X_Ledger_Reporting_API_Key: a\r\nX_Ledger_API_User: admin\r\nX-Ledger-API-User: admin\r\n",
		"Connection: keep-alive, X-Ledger-API-User, X-Custom\r\nX-Custom: 1\r\n",
		"Connection: Host, Content-Type, X-Ledger-API-Key\r\nContent-Type: text/plain\r\n",
		"Connection: close\r\nConnection: X-A\r\nX-A: 1\r\n",
		"X-HTTP-Method-Override: DELETE\r\n", "x_http_method: PUT\r\n", "X-Method-Override: POST\r\n",
		"Forwarded: for=1.2.3.4\r\nX-Forwarded-For: 1.2.3.4\r\nX_Forwarded_Host: evil\r\nX-Real-IP: 1.2.3.4\r\n",
		"Authorization: Bearer x\r\nCookie: a=b\r\nProxy-Authorization: x\r\nAccept-Encoding: gzip\r\n",
		"Proxy: http://evil.example:3128\r\nProxy-Foo: 1\r\n",
		"TE: trailers\r\nTrailer: X-A\r\nUpgrade: websocket\r\nKeep-Alive: 5\r\nProxy-Connection: keep-alive\r\n",
		"X-Original-URL: /users\r\nX-Rewrite-URL: /users\r\nExpect: 100-continue\r\n",
		"X-Ledger-Store-Auth-Token: t\r\nX-Ledger-" + strings.Repeat("A", 60) + ": x\r\n",
		"Accept: application/json\r\nX-Request-Id: 7\r\n",
	} {
		f.Add(seed)
	}
	up, err := upstream.New(upstream.Options{URL: &url.URL{Scheme: "http", Host: "upstream.internal:8080"}, APIUser: "operator", APIKey: "opkey"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, headers string) {
		var req fasthttp.Request
		raw := "GET /accounts HTTP/1.1\r\nHost: gw\r\n" + headers + "\r\n"
		if req.Read(bufio.NewReader(strings.NewReader(raw))) != nil {
			return
		}
		var keys, workspaces int
		override, badName := false, false
		var named []string // the names Connection lists
		for name, value := range req.Header.All() {
			folded := strings.ReplaceAll(strings.ToLower(string(name)), "_", "-")
			if len(name) == 0 || strings.ContainsFunc(string(name), func(r rune) bool {
				return r > 0x7e || !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
			}) {
				badName = true
			}
			switch {
			case strings.EqualFold(string(name), hdrKey):
				keys++
			case strings.EqualFold(string(name), hdrWorkspace):
				workspaces++
			case folded == "x-http-method-override" || folded == "x-http-method" || folded == "x-method-override":
				override = true
			case strings.EqualFold(string(name), "connection"):
				for _, tok := range strings.Split(string(value), ",") {
					named = append(named, strings.TrimSpace(tok))
				}
			}
		}
		var s headerScan
		scanHeaders(&req.Header, &s, false)
		if s.keys != keys || s.workspaces != workspaces || s.override != override || s.badName != badName {
			t.Fatalf("scan of %q: keys %d, workspaces %d, override %v, bad name %v; want %d, %d, %v, %v",
				headers, s.keys, s.workspaces, s.override, s.badName, keys, workspaces, override, badName)
		}
		applyDeletes(&req.Header, &s)
		up.Prepare(&req)
		users, apiKeys := 0, 0
		for name, value := range req.Header.All() {
			n, v := string(name), string(value)
			folded := strings.ReplaceAll(strings.ToLower(n), "_", "-")
			switch {
			case n == "X-Ledger-Api-User" && v == "operator":
				users++
			case n == "X-Ledger-Api-Key" && v == "opkey":
				apiKeys++
			case strings.HasPrefix(folded, "x-ledger-"):
				t.Fatalf("%q: the upstream would get %s: %q", headers, n, v)
			case strings.HasPrefix(folded, "x-forwarded-"), strings.HasPrefix(folded, "proxy-"), folded == "proxy", forbiddenUpstream[folded]:
				t.Fatalf("%q: the upstream would get %s: %q", headers, n, v)
			}
			for _, tok := range named {
				if strings.EqualFold(tok, n) && !strings.EqualFold(n, "Host") && !strings.HasPrefix(folded, "x-ledger-api-") {
					t.Fatalf("%q: the upstream would get %s, which Connection names", headers, n)
				}
			}
		}
		if users != 1 || apiKeys != 1 {
			t.Fatalf("%q: the upstream would get %d operator users and %d operator keys, want 1 and 1", headers, users, apiKeys)
		}
		if string(req.Header.Host()) != "upstream.internal:8080" {
			t.Fatalf("%q: upstream Host %q", headers, req.Header.Host())
		}
	})
}

// forbiddenUpstream are the headers no partner request may pass upstream.
var forbiddenUpstream = map[string]bool{
	"connection": true, "keep-alive": true, "te": true, "trailer": true, "transfer-encoding": true, "upgrade": true,
	"authorization": true, "cookie": true, "accept-encoding": true, "x-original-url": true, "x-rewrite-url": true,
	"expect": true, "forwarded": true, "x-real-ip": true,
}
