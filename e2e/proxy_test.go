package e2e_test

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"reportgate/internal/ledgersim"
)

func TestInjectedListsStayInScope(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	_, secret := w.key(1, 2)
	o := scopeOf(w.sim.Dataset(), 1, 2)

	tests := []struct {
		name, target, field string
		in                  map[int64]bool
		want                int // expected count; -1 = all of in
	}{
		{"accounts, scope injected", "/accounts?page_size=500", "id", o.accounts, -1},
		{"transactions, scope injected", "/transactions?page_size=500", "account_id", o.accounts, len(o.transactions)},
		{"whitelists", "/whitelists?page_size=500", "id", o.whitelists, -1},
		{"entities", "/entities", "id", o.entities, -1},
		{"digests", "/digests?page_size=500", "account_id", o.accounts, -2},
		{"messages", "/messages?page_size=500", "account_id", o.accounts, -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := get(t, g, secret, tt.target)
			if a.status != http.StatusOK {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			ids, count := nodeIDs(t, a.body, tt.field)
			for _, id := range ids {
				if !tt.in[id] {
					t.Errorf("%s %d is outside the key's scope", tt.field, id)
				}
			}
			switch {
			case tt.want == -1 && count != len(tt.in):
				t.Errorf("count = %d, want %d (every in-scope object)", count, len(tt.in))
			case tt.want >= 0 && count != tt.want:
				t.Errorf("count = %d, want %d", count, tt.want)
			case count != len(ids):
				t.Errorf("count = %d but %d nodes on a page of 500", count, len(ids))
			}
		})
	}
}

func TestCallerFiltersIntersectedAndKept(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	_, secret := w.key(1, 2)
	d := w.sim.Dataset()
	o := scopeOf(d, 1, 2)
	inScope := keys(o.accounts)[0]
	var all []int64
	for _, a := range d.Accounts {
		all = append(all, int64(a.ID))
	}
	out := outside(o.accounts, all)

	// The caller's other filters reach the upstream untouched. (A first
	// request resolves the key's scope from the upstream.)
	get(t, g, secret, "/entities")
	w.sim.ResetRequests()
	a := get(t, g, secret, sprintf("/transactions?type=SEND&account=%d&account=%d", inScope, out))
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	got := w.upstreamRequests()
	if len(got) != 1 {
		t.Fatalf("upstream saw %d requests, want 1", len(got))
	}
	q, _ := url.ParseQuery(got[0].RawQuery)
	if q.Get("type") != "SEND" || !slices.Equal(q["account"], []string{sprintf("%d", inScope)}) {
		t.Errorf("upstream query = %q, want type=SEND and only the in-scope account", got[0].RawQuery)
	}
	ids, _ := nodeIDs(t, a.body, "account_id")
	for _, id := range ids {
		if id != inScope {
			t.Errorf("transaction of account %d, want only %d", id, inScope)
		}
	}

	// An empty intersection is answered without the upstream.
	w.sim.ResetRequests()
	a = get(t, g, secret, sprintf("/transactions?account=%d", out))
	if _, count := nodeIDs(t, a.body, "account_id"); a.status != 200 || count != 0 {
		t.Errorf("out-of-scope filter: %d %s, want an empty page", a.status, a.body)
	}
	a = get(t, g, secret, "/accounts?entity=3")
	if _, count := nodeIDs(t, a.body, "id"); a.status != 200 || count != 0 {
		t.Errorf("other entity: %d %s, want an empty page", a.status, a.body)
	}
	if n := len(w.upstreamRequests()); n != 0 {
		t.Errorf("upstream saw %d requests for empty intersections, want 0", n)
	}
}

func TestOutOfScopeObjects404WithoutUpstream(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	_, secret := w.key(1)
	d := w.sim.Dataset()
	o := scopeOf(d, 1)
	var accounts, users, groups, whitelists []int64
	for _, a := range d.Accounts {
		accounts = append(accounts, int64(a.ID))
	}
	for _, u := range d.Users {
		users = append(users, int64(u.ID))
	}
	for _, x := range d.Groups {
		groups = append(groups, int64(x.ID))
	}
	for _, x := range d.Whitelists {
		whitelists = append(whitelists, int64(x.ID))
	}
	acct := outside(o.accounts, accounts)
	missing := get(t, g, secret, "/accounts/999999")
	targets := []string{
		sprintf("/accounts/%d", acct),
		sprintf("/accounts/%d/balances", acct),
		sprintf("/accounts/%d/erc20-children-accounts", acct),
		sprintf("/ethereum/accounts/%d/stakes", acct),
		sprintf("/users/%d", outside(o.users, users)),
		sprintf("/groups/%d", outside(o.groups, groups)),
		sprintf("/whitelists/%d/history", outside(o.whitelists, whitelists)),
		"/entities/2",
		"/entities/2/users",
	}
	w.sim.ResetRequests()
	for _, target := range targets {
		a := get(t, g, secret, target)
		if a.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404: %s", target, a.status, a.body)
		}
		if strings.HasPrefix(target, "/accounts/") && !strings.Contains(target, "erc20") && !bytes.Equal(a.body, missing.body) {
			t.Errorf("%s: body %s differs from a missing account's %s", target, a.body, missing.body)
		}
	}
	if n := len(w.upstreamRequests()); n != 0 {
		t.Errorf("upstream saw %d requests for out-of-scope paths, want 0: %+v", n, w.upstreamRequests())
	}

	// Owned objects: looked up once (the owner is cached), then refused.
	var tx int64 = -1
	for _, x := range d.Transactions {
		if !o.accounts[int64(x.AccountID)] {
			tx = int64(x.ID)
			break
		}
	}
	for i := 0; i < 2; i++ {
		if a := get(t, g, secret, sprintf("/transactions/%d/history", tx)); a.status != http.StatusNotFound {
			t.Errorf("other account's transaction: %d, want 404", a.status)
		}
	}
	for _, r := range w.upstreamRequests() {
		if r.Path != sprintf("/transactions/%d", tx) {
			t.Errorf("upstream saw %s %s; only the owner lookup may reach it", r.Method, r.RequestURI)
		}
	}
	if n := len(w.upstreamRequests()); n != 1 {
		t.Errorf("owner looked up %d times, want once", n)
	}
}

func TestUpstreamSeesOnlyOperatorCredentials(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	_, secret := w.key(1)
	w.sim.ResetRequests()
	a := raw(t, g.ProxyAddr(), "GET /accounts?page_size=2 HTTP/1.1\r\n"+
		"Host: evil.example\r\n"+
		"X-Ledger-Reporting-API-Key: "+secret+"\r\n"+
		"X-Ledger-Workspace: acme\r\n"+
		"X_Ledger_Reporting_API_Key: "+secret+"\r\n"+
		"X-Ledger-API-User: admin\r\n"+
		"X_Ledger_API_User: admin\r\n"+
		"X-Ledger-API-Key: stolen\r\n"+
		"Connection: keep-alive, X-Ledger-API-User, X-Custom-Hop\r\n"+
		"X-Custom-Hop: 1\r\n"+
		"Keep-Alive: timeout=5\r\n"+
		"Upgrade: websocket\r\n"+
		"Forwarded: for=1.2.3.4\r\n"+
		"X-Forwarded-For: 1.2.3.4\r\n"+
		"X-Original-URL: /users\r\n"+
		"Authorization: Bearer partner\r\n"+
		"Cookie: s=1\r\n"+
		"Accept-Encoding: gzip\r\n"+
		"X-Request-Id: kept\r\n\r\n")
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	got := w.upstreamRequests()
	if len(got) == 0 {
		t.Fatal("upstream saw nothing")
	}
	h := got[len(got)-1].Header
	if v := h.Values("X-Ledger-Api-User"); !slices.Equal(v, []string{ledgersim.DefaultAPIUser}) {
		t.Errorf("X-Ledger-API-User upstream = %q, want exactly the operator's", v)
	}
	for name := range h {
		folded := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		switch folded {
		case "x-ledger-reporting-api-key", "x-ledger-workspace", "x-ledger-api-key", "x-custom-hop",
			"keep-alive", "upgrade", "forwarded", "x-forwarded-for", "x-original-url", "authorization",
			"cookie", "accept-encoding":
			t.Errorf("upstream received %s: %q", name, h[name])
		case "x-ledger-api-user":
			if name != "X-Ledger-Api-User" {
				t.Errorf("upstream received a variant %s", name)
			}
		}
	}
	if got[len(got)-1].Host == "evil.example" {
		t.Errorf("client Host reached the upstream")
	}
	if h.Get("X-Request-Id") != "kept" {
		t.Errorf("end-to-end header X-Request-Id was dropped")
	}
	for _, r := range got {
		for _, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, secret) {
					t.Fatalf("the reporting key reached the upstream")
				}
			}
		}
	}
}

func TestRefusals(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	_, secret := w.key(1)
	unknown := "lrk_" + strings.Repeat("A", 49) // well-formed length, bad checksum
	// spec: whether the Ledger API's spec itself refuses the request, or
	// only the gateway (an unknown key, an operation a key may not call).
	tests := []struct {
		name    string
		request string
		status  int
		spec    specView
	}{
		{"no key", "GET /accounts HTTP/1.1\r\nHost: gw\r\nX-Ledger-Workspace: acme\r\n\r\n", 401, specRefuses},
		{"garbage key", "GET /accounts HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + unknown + "\r\nX-Ledger-Workspace: acme\r\n\r\n", 401, specAllows},
		{"wrong workspace", "GET /accounts HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: other\r\n\r\n", 401, specAllows},
		{"two keys", "GET /accounts HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n", 400, specRefuses},
		{"write", "POST /requests HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n", 403, specRefuses},
		{"delete", "DELETE /accounts/1 HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n", 403, specRefuses},
		{"denied read", "GET /labels HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n", 403, specAllows},
		{"sync side effect", "GET /accounts/1/sync HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n", 403, specAllows},
		{"unknown path", "GET /admin HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n", 404, specRefuses},
		{"simulator control path", "GET /_sim/dataset HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n", 404, specRefuses},
		{"dot segment", "GET /accounts/../users HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n", 400, specRefuses},
		{"absolute URI", "GET http://upstream/accounts HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n", 400, specRefuses},
		{"body on GET", "GET /accounts HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n{}", 400, specRefuses},
		{"page_size 0", "GET /accounts?page_size=0 HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n", 400, specAllows},
		{"key in query", "GET /accounts?X-Ledger-Reporting-API-Key=" + secret + " HTTP/1.1\r\nHost: gw\r\nX-Ledger-Workspace: acme\r\n\r\n", 400, specRefuses},
	}
	w.sim.ResetRequests()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sendAs(t, g.ProxyAddr(), tt.request, tt.spec).answer
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			e := a.json(t)
			if e["status_code"] != float64(tt.status) || e["message"] == "" || e["name"] == "" {
				t.Errorf("error body %s lacks the upstream's Error shape", a.body)
			}
		})
	}
	if n := len(w.upstreamRequests()); n != 0 {
		t.Errorf("upstream saw %d refused requests, want 0", n)
	}
}
