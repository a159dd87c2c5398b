package policy

import (
	"errors"
	"testing"

	"reportgate/internal/spec"
)

func newTestRouter(t testing.TB) *Router {
	t.Helper()
	d, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	rt, err := NewRouter(Table(), d.Routes)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// TestTableCoversSpec proves every operation of the spec has exactly one
// rule, and that the table holds nothing else but the gateway's own routes.
func TestTableCoversSpec(t *testing.T) {
	t.Parallel()
	d, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]int{}
	for _, r := range Table() {
		rules[r.Method+" "+r.Path]++
	}
	for _, r := range d.Routes {
		op := r.Method + " " + r.Path
		if got := rules[op]; got != 1 {
			t.Errorf("%s: %d rules, want exactly 1", op, got)
		}
		delete(rules, op)
	}
	for op := range rules {
		rule := findRule(op)
		if rule.Strategy != Gateway {
			t.Errorf("%s: in the table but not in the spec, and not served by the gateway", op)
		}
	}
}

func findRule(op string) Rule {
	for _, r := range Table() {
		if r.Method+" "+r.Path == op {
			return r
		}
	}
	return Rule{}
}

// Every non-GET operation a reporting key could send is denied, except the
// gateway's own notification configuration.
func TestWritesAreDenied(t *testing.T) {
	t.Parallel()
	for _, r := range Table() {
		if r.Method != "GET" && r.Strategy != Deny && r.Strategy != Gateway {
			t.Errorf("%s %s: strategy %v, want deny", r.Method, r.Path, r.Strategy)
		}
	}
}

func TestNewRouterRejectsBadTables(t *testing.T) {
	t.Parallel()
	d, _ := spec.Load()
	tests := []struct {
		name  string
		rules []Rule
	}{
		{"not in spec", []Rule{{Method: "GET", Path: "/acounts", Strategy: Global}}},
		{"duplicate", []Rule{global("/currencies"), global("/currencies")}},
		{"inject scalar", []Rule{inject("GET", "/users", "account", Accounts, Check{})}},
		{"unknown path param", []Rule{path("/accounts/{account_id}", "acount_id", Accounts, Check{})}},
		{"bound not a parameter", []Rule{scopedList("/users", nodes("id", Users), Bound{"acount", Accounts})}},
		{"bound not an integer", []Rule{scopedList("/users", nodes("id", Users), Bound{"username", Users})}},
		{"bound without a set", []Rule{scopedList("/users", nodes("id", Users), Bound{"account", NoSet})}},
		{"pin not a parameter", []Rule{{Method: "GET", Path: "/tezos/accounts/{account_id}/stakes", Strategy: Path, Param: "account_id", Set: Accounts, Pins: []Pin{{"lite", "true", "x"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewRouter(tt.rules, d.Routes); err == nil {
				t.Fatal("NewRouter() = nil error, want one")
			}
		})
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	rt := newTestRouter(t)
	tests := []struct {
		path     string
		template string
		ints     []int64
		err      error
	}{
		{"/accounts", "/accounts", nil, nil},
		{"/accounts/12", "/accounts/{account_id}", []int64{12}, nil},
		{"/accounts/12/erc20-children-accounts", "/accounts/{parent_account_id}/erc20-children-accounts", []int64{12}, nil},
		{"/accounts/12/address/3", "/accounts/{account_id}/address/{index}", []int64{12, 3}, nil},
		{"/transactions/9/history", "/transactions/{transaction_id}/history", []int64{9}, nil},
		{"/currencies/bitcoin", "/currencies/{currency_name}", []int64{0}, nil},
		{"/currencies/tokens", "/currencies/tokens", nil, nil},
		{"/currencies/ethereum/tokens/0xdAC17F958D2ee523a2206206994597C13D831ec7", "/currencies/{currency_name}/tokens/{contract_address}", []int64{0, 0}, nil},
		{"/cardano/accounts/4/stakes/uid-1/rewards", "/cardano/accounts/{account_id}/stakes/{stake_uid}/rewards", []int64{4, 0}, nil},
		{"/", "", nil, ErrUnknownPath},
		{"", "", nil, ErrUnknownPath},
		{"/Accounts", "", nil, ErrUnknownPath},
		{"/accounts/12/unknown", "", nil, ErrUnknownPath},
		{"/_sim/dataset", "", nil, ErrUnknownPath},
		{"/accounts/", "", nil, ErrAmbiguousPath},
		{"//accounts", "", nil, ErrAmbiguousPath},
		{"/accounts/./12", "", nil, ErrAmbiguousPath},
		{"/accounts/../users/1", "", nil, ErrAmbiguousPath},
		{"/accounts/%2e%2e/users", "", nil, ErrAmbiguousPath},
		{"/accounts%2F12", "", nil, ErrAmbiguousPath},
		{"/accounts/12;x=1", "", nil, ErrAmbiguousPath},
		{"/accounts\\12", "", nil, ErrAmbiguousPath},
		{"/accounts/12%00", "", nil, ErrAmbiguousPath},
		{"/accounts/1 2", "", nil, ErrAmbiguousPath},
		{"/accounts/012", "", nil, ErrBadPathParam},
		{"/accounts/-1", "", nil, ErrBadPathParam},
		{"/accounts/abc", "", nil, ErrBadPathParam},
		{"/accounts/1234567890123456789", "", nil, ErrBadPathParam},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var ps PathParams
			ep, err := rt.Match([]byte(tt.path), &ps)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Match() error = %v, want %v", err, tt.err)
			}
			if tt.err != nil {
				return
			}
			if ep.Template != tt.template {
				t.Errorf("template = %q, want %q", ep.Template, tt.template)
			}
			if ps.Len() != len(tt.ints) {
				t.Fatalf("params = %d, want %d", ps.Len(), len(tt.ints))
			}
			for i, want := range tt.ints {
				if got := ps.Int(i); got != want {
					t.Errorf("param %d = %d, want %d", i, got, want)
				}
			}
		})
	}
}

func TestEndpointRuleByMethod(t *testing.T) {
	t.Parallel()
	rt := newTestRouter(t)
	var ps PathParams
	ep, err := rt.Match([]byte("/requests/5"), &ps)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := ep.Rule([]byte("GET")); r == nil || r.Strategy != Owner {
		t.Errorf("GET /requests/5 rule = %+v, want owner", r)
	}
	if r, _ := ep.Rule([]byte("DELETE")); r != nil {
		t.Errorf("DELETE /requests/5 rule = %+v, want none", r)
	}
	ep, _ = rt.Match([]byte("/requests/5/approve"), &ps)
	if r, _ := ep.Rule([]byte("POST")); r == nil || r.Strategy != Deny {
		t.Errorf("POST approve rule = %+v, want deny", r)
	}
}
