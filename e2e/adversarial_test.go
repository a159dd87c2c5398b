package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"reportgate/internal/ledgersim"
)

// TestAdversarialRequests sends requests crafted to make the gateway and
// the upstream read one request two ways, or to borrow another scope or the
// operator's rights. Each is refused before the upstream, or served inside
// the key's scope; what reached the upstream is asserted from the
// simulator's record.
func TestAdversarialRequests(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	_, secret := w.key(1)
	_, other := w.key(3) // a second partner's key, bound to another entity
	d := w.sim.Dataset()
	o := scopeOf(d, 1)
	in := keys(o.accounts)[0]
	var all []int64
	for _, a := range d.Accounts {
		all = append(all, int64(a.ID))
	}
	out := outside(o.accounts, all)
	cardano := int64(-1)
	for _, a := range d.Accounts {
		if a.Type == "Cardano" && o.accounts[int64(a.ID)] {
			cardano = int64(a.ID)
		}
	}

	key := "X-Ledger-Reporting-API-Key: " + secret + "\r\n"
	ws := "X-Ledger-Workspace: acme\r\n"
	std := "Host: gw\r\n" + key + ws
	get := func(target string, headers ...string) string {
		return "GET " + target + " HTTP/1.1\r\n" + std + strings.Join(headers, "") + "\r\n"
	}
	line := func(requestLine string, headers ...string) string {
		return requestLine + "\r\n" + strings.Join(headers, "") + "\r\n"
	}

	type check func(t *testing.T, a reply, up []ledgersim.RecordedRequest)
	// refused: the status, the Error shape, and nothing reached the upstream.
	refused := func(status int) check {
		return func(t *testing.T, a reply, up []ledgersim.RecordedRequest) {
			t.Helper()
			if a.status != status {
				t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
			}
			if !a.head { // an answer to HEAD has no body
				var e struct {
					Message    string `json:"message"`
					Name       string `json:"name"`
					StatusCode int    `json:"status_code"`
				}
				if err := json.Unmarshal(a.body, &e); err != nil || e.StatusCode != status || e.Message == "" || e.Name == "" {
					t.Errorf("body %s is not the Error shape", a.body)
				}
			}
			for _, r := range up {
				t.Errorf("a refused request reached the upstream: %s %s", r.Method, r.RequestURI)
			}
		}
	}
	// served: 200, every account-bearing node in scope, and upstream checks.
	served := func(field string, upstream func(t *testing.T, up []ledgersim.RecordedRequest)) check {
		return func(t *testing.T, a reply, up []ledgersim.RecordedRequest) {
			t.Helper()
			if a.status != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", a.status, a.body)
			}
			if field != "" {
				ids, _ := nodeIDs(t, a.body, field)
				for _, id := range ids {
					if !o.accounts[id] {
						t.Errorf("LEAK: account %d is outside the key's scope", id)
					}
				}
			}
			for _, r := range up {
				for name, vs := range r.Header {
					for _, v := range vs {
						if strings.Contains(v, secret) || strings.Contains(v, other) {
							t.Errorf("a reporting key reached the upstream in %s", name)
						}
					}
				}
			}
			if upstream != nil {
				upstream(t, up)
			}
		}
	}
	// upstreamQuery: exactly one upstream request, for path, with these
	// values of param.
	upstreamQuery := func(path, param string, want ...string) func(*testing.T, []ledgersim.RecordedRequest) {
		return func(t *testing.T, up []ledgersim.RecordedRequest) {
			t.Helper()
			if len(up) != 1 || up[0].Path != path {
				t.Fatalf("upstream saw %v, want one request to %s", uris(up), path)
			}
			q, _ := url.ParseQuery(up[0].RawQuery)
			if !slices.Equal(q[param], want) {
				t.Errorf("upstream %s = %q, want %q (%s)", param, q[param], want, up[0].RequestURI)
			}
		}
	}
	nothingUpstream := func(t *testing.T, up []ledgersim.RecordedRequest) {
		t.Helper()
		if len(up) != 0 {
			t.Errorf("upstream saw %v, want nothing", uris(up))
		}
	}
	operatorOnly := func(t *testing.T, up []ledgersim.RecordedRequest) {
		t.Helper()
		if len(up) != 1 {
			t.Fatalf("upstream saw %v, want one request", uris(up))
		}
		h := up[0].Header
		if v := h.Values("X-Ledger-Api-User"); !slices.Equal(v, []string{ledgersim.DefaultAPIUser}) {
			t.Errorf("X-Ledger-API-User upstream = %q, want exactly the operator's", v)
		}
		if up[0].Host == "evil.example" || up[0].Host == "" {
			t.Errorf("upstream Host = %q, want the configured upstream", up[0].Host)
		}
	}
	// cleanUpstream: the upstream got a GET without a body or framing
	// headers, and the partner's connection is closed after the answer.
	closedClean := func(t *testing.T, a reply, up []ledgersim.RecordedRequest) {
		t.Helper()
		served("id", operatorOnly)(t, a, up)
		if !a.close {
			t.Errorf("the connection stays open after an ambiguous framing")
		}
		for _, r := range up {
			if r.Header.Get("Transfer-Encoding") != "" || (r.Header.Get("Content-Length") != "" && r.Header.Get("Content-Length") != "0") {
				t.Errorf("upstream framing headers: %v", r.Header)
			}
		}
	}
	emptyPage := func(t *testing.T, a reply, up []ledgersim.RecordedRequest) {
		t.Helper()
		served("", nil)(t, a, up)
		if ids, count := nodeIDs(t, a.body, "id"); len(ids) != 0 || count == 0 {
			t.Errorf("page past the end: %d nodes, count %d; want none, and the list's count", len(ids), count)
		}
	}
	inScope := sprintf("%d", in)
	allScope := func() []string {
		var s []string
		for _, id := range keys(o.entities) {
			s = append(s, sprintf("%d", id))
		}
		return s
	}()

	// spec: whether the Ledger API's spec (with the contract's strict
	// reading: no undeclared parameter, no repeated scalar, no body on a
	// GET) refuses the request too, or only the gateway does.
	tests := []struct {
		name    string
		request string
		want    check
		spec    specView
	}{
		// Paths the upstream (or anything between) could read otherwise.
		{"dot-dot segment", get("/accounts/../users"), refused(400), specRefuses},
		{"dot segment", get(sprintf("/accounts/./%d", in)), refused(400), specRefuses},
		{"encoded dot-dot", get("/accounts/%2e%2e/users"), refused(400), specRefuses},
		{"encoded dot-dot upper case", get("/accounts/%2E%2E/users"), refused(400), specRefuses},
		{"double-encoded dot-dot", get("/accounts/%252e%252e/users"), refused(400), specRefuses},
		{"overlong UTF-8 dot", get("/accounts/%c0%ae%c0%ae/users"), refused(400), specRefuses},
		{"encoded slash", get(sprintf("/accounts%%2F%d", out)), refused(400), specRefuses},
		{"encoded slash in id", get(sprintf("/accounts/%d%%2Fbalances", in)), refused(400), specRefuses},
		{"raw backslash", get(sprintf("/accounts\\%d", out)), refused(400), specRefuses},
		{"encoded backslash", get(sprintf("/accounts%%5C%d", out)), refused(400), specRefuses},
		{"encoded NUL", get(sprintf("/accounts/%d%%00", in)), refused(400), specRefuses},
		{"semicolon parameter", get(sprintf("/accounts/%d;x=%d", in, out)), refused(400), specRefuses},
		{"semicolon in segment", get("/accounts;/users"), refused(400), specRefuses},
		{"empty segment", get("//accounts"), refused(400), specRefuses},
		{"trailing slash", get("/accounts/"), refused(400), specRefuses},
		{"plus in path", get(sprintf("/accounts/+%d", in)), refused(400), specAllows},
		{"leading zero id", get(sprintf("/accounts/0%d", in)), refused(400), specAllows},
		{"fragment", get("/accounts#x"), refused(400), specRefuses},
		{"path case variant", get("/Accounts"), refused(404), specRefuses},
		{"path case variant of a sub-resource", get(sprintf("/accounts/%d/Balances", in)), refused(404), specRefuses},
		{"simulator control path", get("/_sim/dataset"), refused(404), specRefuses},

		// Queries: scope parameters duplicated, empty, bracketed, listed.
		{"duplicate scope parameter", get("/accounts?entity=1&entity=1"), refused(400), specAllows},
		{"empty scope parameter", get("/accounts?entity="), refused(400), specRefuses},
		{"scope parameter without value", get("/accounts?entity"), refused(400), specRefuses},
		{"bracketed scope parameter", get("/accounts?entity[]=3"), refused(400), specRefuses},
		{"encoded brackets", get("/accounts?entity%5B%5D=3"), refused(400), specRefuses},
		{"comma list", get("/accounts?entity=1,3"), refused(400), specRefuses},
		{"encoded comma list", get("/accounts?entity=1%2C3"), refused(400), specRefuses},
		{"encoded key", get("/accounts?%65ntity=3"), refused(400), specAllows},
		{"semicolon separator", get("/accounts?entity=1;entity=3"), refused(400), specRefuses},
		{"double-encoded value", get("/accounts?name=%2526entity%253D3"), refused(400), specAllows},
		{"NUL in a value", get("/accounts?name=a%00"), refused(400), specAllows},
		{"repeated scalar", get("/users?account=1&account=2"), refused(400), specRefuses},
		{"unknown parameter", get("/accounts?entities=3"), refused(400), specRefuses},
		{"too many pairs", get("/transactions?" + strings.Repeat("status=SIGNED&", 130) + "type=SEND"), refused(400), specAllows},
		{"page_size 0", get("/accounts?page_size=0"), refused(400), specAllows},
		{"page_size -1", get("/accounts?page_size=-1"), refused(400), specAllows},
		{"page_size above the maximum", get("/accounts?page_size=501"), refused(400), specAllows},
		{"page 0", get("/users?page=0"), refused(400), specRefuses},
		{"stakes light=false", get(sprintf("/cardano/accounts/%d/stakes?light=false", cardano)), refused(400), specAllows},
		// Regression (policy: scoped lists never panic): this page's offset
		// overflowed and the panic stopped the gateway.
		{"huge page of a scoped list", get("/users?page=100000000000000000&page_size=500"), emptyPage, specAllows},
		{"out-of-scope filter", get("/accounts?entity=3"), served("id", nothingUpstream), specAllows},
		{"mixed filter kept to the scope", get(sprintf("/transactions?account=%d&account=%d", in, out)), served("account_id", upstreamQuery("/transactions", "account", inScope)), specAllows},
		{"encoded ampersand stays data", get("/accounts?name=a%26entity%3D3"), served("id", upstreamQuery("/accounts", "entity", allScope...)), specAllows},
		{"out-of-scope user filter", get(sprintf("/users?account=%d", out)), served("", nothingUpstream), specAllows},

		// Credentials and identity.
		{"key in the query string", line("GET /accounts?X-Ledger-Reporting-API-Key="+secret+" HTTP/1.1", "Host: gw\r\n", ws), refused(400), specRefuses},
		{"key as a bearer token", line("GET /accounts HTTP/1.1", "Host: gw\r\n", ws, "Authorization: Bearer "+secret+"\r\n"), refused(401), specRefuses},
		{"two key headers", get("/accounts", key), refused(400), specRefuses},
		{"two different keys", get("/accounts", "X-Ledger-Reporting-API-Key: "+other+"\r\n"), refused(400), specRefuses},
		{"two workspace headers", get("/accounts", "X-Ledger-Workspace: other\r\n"), refused(400), specRefuses},
		{"key header lower case", line("GET /accounts HTTP/1.1", "Host: gw\r\n", strings.ToLower(key[:26])+key[26:], ws), served("id", nil), specAllows},
		{"key header upper case", line("GET /accounts HTTP/1.1", "Host: gw\r\n", strings.ToUpper(key[:26])+key[26:], ws), served("id", nil), specAllows},
		{"underscore key header only", line("GET /accounts HTTP/1.1", "Host: gw\r\n", "X_Ledger_Reporting_API_Key: "+secret+"\r\n", ws), refused(401), specRefuses},
		{"underscore key of another scope", get("/accounts", "X_Ledger_Reporting_API_Key: "+other+"\r\n"), served("id", nil), specAllows},
		{"underscore workspace only", line("GET /accounts HTTP/1.1", "Host: gw\r\n", key, "X_Ledger_Workspace: acme\r\n"), refused(401), specRefuses},
		{"operator header from the client", get("/accounts", "X-Ledger-API-User: admin\r\nX_Ledger_API_User: admin\r\nX-Ledger-API-Key: stolen\r\n"), served("id", operatorOnly), specAllows},

		// Methods.
		{"method override header", get("/accounts", "X-HTTP-Method-Override: DELETE\r\n"), refused(400), specAllows},
		{"X-HTTP-Method", get("/accounts", "X-HTTP-Method: PUT\r\n"), refused(400), specAllows},
		{"X-Method-Override", get("/accounts", "X-Method-Override: POST\r\n"), refused(400), specAllows},
		{"method override parameter", get("/accounts?_method=DELETE"), refused(400), specRefuses},
		{"lower-case method", line("get /accounts HTTP/1.1", std), refused(403), specRefuses},
		{"HEAD", line("HEAD /accounts HTTP/1.1", std), refused(403), specRefuses},
		{"DELETE", line(sprintf("DELETE /accounts/%d HTTP/1.1", in), std), refused(403), specRefuses},

		// Hop-by-hop: headers named in Connection.
		{"Connection names the key", get("/accounts", "Connection: X-Ledger-Reporting-API-Key\r\n"), served("id", nil), specAllows},
		{"Connection names the operator header", get("/accounts", "Connection: X-Ledger-API-User\r\n"), served("id", operatorOnly), specAllows},
		{"Connection names Host", get("/accounts", "Connection: Host\r\n"), served("id", operatorOnly), specAllows},
		{"Connection names a custom header", get("/accounts", "Connection: close, X-Custom\r\nX-Custom: 1\r\n"), served("id", func(t *testing.T, up []ledgersim.RecordedRequest) {
			if len(up) != 1 || up[0].Header.Get("X-Custom") != "" {
				t.Errorf("upstream saw %v with X-Custom %q, want it dropped", uris(up), up[0].Header.Get("X-Custom"))
			}
		}), specAllows},

		// The request line and framing.
		{"absolute-form URI", line("GET http://upstream.example/accounts HTTP/1.1", std), refused(400), specRefuses},
		{"absolute-form URI to another path", line("GET http://gw/users HTTP/1.1", std), refused(400), specRefuses},
		{"asterisk form", line("GET * HTTP/1.1", std), refused(400), specRefuses},
		{"odd Host", line("GET /accounts HTTP/1.1", "Host: evil.example\r\n", key, ws), served("id", operatorOnly), specAllows},
		{"Host with a path", line("GET /accounts HTTP/1.1", "Host: gw/users\r\n", key, ws), refused(400), specAllows},
		{"two Host headers", line("GET /accounts HTTP/1.1", "Host: gw\r\nHost: upstream\r\n", key, ws), refused(400), specRefuses},
		{"NUL in a header value", get("/accounts", "X-Note: a\x00b\r\n"), refused(400), specRefuses},
		// RFC 9112 §5.2: an obsolete line fold is read as a space; the fold
		// cannot start a header of its own upstream.
		{"folded header line", get("/accounts", "X-Note: a\r\n X-Ledger-API-User: admin\r\n"), served("id", func(t *testing.T, up []ledgersim.RecordedRequest) {
			operatorOnly(t, up)
			if v := up[0].Header.Get("X-Note"); strings.ContainsAny(v, "\r\n") {
				t.Errorf("upstream X-Note = %q, a folded line", v)
			}
		}), specAllows},
		{"space before the colon", get("/accounts", "X-Ledger-API-User : admin\r\n"), refused(400), specAllows},
		{"HTTP/1.0 without Host", line("GET /accounts HTTP/1.0", key, ws), served("id", operatorOnly), specAllows},
		{"oversized header", get("/accounts", "X-Pad: "+strings.Repeat("a", 9<<10)+"\r\n"), refused(431), specAllows},
		{"chunked GET", "GET /accounts HTTP/1.1\r\n" + std + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", refused(400), specRefuses},
		{"chunked GET with a smuggled request", "GET /accounts HTTP/1.1\r\n" + std + "Transfer-Encoding: chunked\r\n\r\n" +
			"1c\r\nGET /users HTTP/1.1\r\nHost: gw\r\n\r\n\r\n0\r\n\r\n", refused(400), specRefuses},
		{"unsupported Transfer-Encoding", "GET /accounts HTTP/1.1\r\n" + std + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", refused(400), specRefuses},
		{"Transfer-Encoding on HTTP/1.0", "GET /accounts HTTP/1.0\r\n" + std + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", refused(400), specAllows},
		{"two Content-Lengths", "GET /accounts HTTP/1.1\r\n" + std + "Content-Length: 0\r\nContent-Length: 5\r\n\r\nhello", refused(400), specRefuses},
		// RFC 9112 §6.3: read as chunked, and the connection closed after.
		{"Transfer-Encoding with Content-Length", "GET /accounts HTTP/1.1\r\n" + std + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", closedClean, specAllows},
		{"Content-Length on GET", "GET /accounts HTTP/1.1\r\n" + std + "Content-Length: 5\r\n\r\nhello", refused(400), specRefuses},
	}
	warm := send(t, g.ProxyAddr(), get("/entities"))
	if warm.status != http.StatusOK {
		t.Fatalf("warm-up: %d %s", warm.status, warm.body)
	}
	_ = send(t, g.ProxyAddr(), line("GET /entities HTTP/1.1", "Host: gw\r\n", "X-Ledger-Reporting-API-Key: "+other+"\r\n", ws))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.sim.ResetRequests()
			a := sendAs(t, g.ProxyAddr(), tt.request, tt.spec)
			tt.want(t, a, upstreamOnly(w.sim.Requests()))
		})
	}
	// The gateway is still up after all of them.
	if a := send(t, g.ProxyAddr(), get("/entities")); a.status != http.StatusOK {
		t.Fatalf("after the table: %d %s", a.status, a.body)
	}
}

// upstreamOnly drops scope resolution's own reads (entities, their account
// searches, groups) that a cache refresh may make at any time.
func upstreamOnly(rs []ledgersim.RecordedRequest) []ledgersim.RecordedRequest {
	var out []ledgersim.RecordedRequest
	for _, r := range rs {
		if strings.HasPrefix(r.Path, "/entities/") || strings.HasPrefix(r.Path, "/groups/") ||
			(r.Path == "/accounts" && strings.Contains(r.RawQuery, "page_size=100") && strings.HasPrefix(r.RawQuery, "entity=")) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func uris(rs []ledgersim.RecordedRequest) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Method+" "+r.RequestURI)
	}
	return out
}
