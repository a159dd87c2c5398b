package policy

import (
	"errors"
	"testing"
)

func querySpec(t *testing.T, method, p string) *QuerySpec {
	t.Helper()
	rt := newTestRouter(t)
	var ps PathParams
	ep, err := rt.Match([]byte(p), &ps)
	if err != nil {
		t.Fatal(err)
	}
	_, qs := ep.Rule([]byte(method))
	if qs == nil {
		t.Fatalf("no %s rule for %s", method, p)
	}
	return qs
}

func TestQueryParse(t *testing.T) {
	t.Parallel()
	accounts := querySpec(t, "GET", "/accounts")
	users := querySpec(t, "GET", "/users")
	txs := querySpec(t, "GET", "/transactions")
	stakes := querySpec(t, "GET", "/cardano/accounts/1/stakes")
	tests := []struct {
		name   string
		qs     *QuerySpec
		raw    string
		filter []int64
		param  string // "" = accepted; else the param the error names ("-" for none)
	}{
		{"empty", accounts, "", nil, ""},
		{"repeated array keys", accounts, "entity=1&entity=2&page=1&page_size=5", []int64{1, 2}, ""},
		{"other filters kept", txs, "account=3&type=SEND&currency=bitcoin&status=SUBMITTED&status=SIGNED", []int64{3}, ""},
		{"date-time encoded colon", accounts, "created_after=2020-09-12T14%3A15%3A22Z", nil, ""},
		{"date-time raw", accounts, "created_before=2020-09-12T14:15:22Z", nil, ""},
		{"date-time offset encoded", accounts, "created_before=2020-09-12T14:15:22%2B02:00", nil, ""},
		{"string with spaces", accounts, "name=hot+wallet%201", nil, ""},
		{"page_size minus one allowed by spec", accounts, "page_size=-1", nil, ""},
		{"unknown param", accounts, "entities=1", nil, "entities"},
		{"key in query", accounts, "X-Ledger-Reporting-API-Key=lrk_x", nil, "X-Ledger-Reporting-API-Key"},
		{"brackets", accounts, "entity[]=1", nil, "-"},
		{"encoded brackets", accounts, "entity%5B%5D=1", nil, "entity%5B%5D"},
		{"comma list", accounts, "entity=1,2", nil, "entity"},
		{"empty value", accounts, "entity=", nil, "entity"},
		{"no value", accounts, "entity", nil, "entity"},
		{"double ampersand", accounts, "entity=1&&entity=2", nil, "-"},
		{"trailing ampersand", accounts, "entity=1&", nil, "-"},
		{"semicolon", accounts, "entity=1;entity=2", nil, "-"},
		{"repeated value", accounts, "entity=1&entity=1", nil, "entity"},
		{"repeated scalar", users, "account=1&account=2", nil, "account"},
		{"scalar id repeated", accounts, "id=1&id=2", nil, "id"},
		{"leading zero", accounts, "entity=01", nil, "entity"},
		{"encoded digit", accounts, "entity=%31", nil, "entity"},
		{"negative below minimum", accounts, "page=0", nil, "page"},
		{"bad enum", accounts, "order=sideways", nil, "order"},
		{"bad date", accounts, "created_after=yesterday", nil, "created_after"},
		{"nul escape", accounts, "name=a%00b", nil, "name"},
		{"double encoding", accounts, "name=a%252e", nil, "name"},
		{"bad escape", accounts, "name=a%zz", nil, "name"},
		{"non-ascii", accounts, "name=\xc3\xa9", nil, "-"},
		{"space raw", accounts, "name=a b", nil, "-"},
		{"hash", accounts, "name=a#b", nil, "-"},
		{"light stakes", stakes, "light=true&status=ACTIVE", nil, ""},
		{"deep stakes refused", stakes, "light=false", nil, "light"},
		{"light not a boolean", stakes, "light=1", nil, "light"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q Query
			err := tt.qs.Parse([]byte(tt.raw), &q)
			if tt.param == "" {
				if err != nil {
					t.Fatalf("Parse(%q) = %v, want nil", tt.raw, err)
				}
				if got := q.Filter(); len(got) != len(tt.filter) {
					t.Fatalf("Filter() = %v, want %v", got, tt.filter)
				}
				for i := range tt.filter {
					if q.Filter()[i] != tt.filter[i] {
						t.Errorf("Filter() = %v, want %v", q.Filter(), tt.filter)
					}
				}
				return
			}
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%q) = %v, want a QueryError", tt.raw, err)
			}
			if want := tt.param; want != "-" && qe.Param != want {
				t.Errorf("error names %q, want %q (%v)", qe.Param, want, err)
			}
		})
	}
}
