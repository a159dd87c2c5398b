package ledgersim

import (
	"errors"
	"strings"
	"testing"

	"reportgate/internal/spec"
)

func routeParams(t *testing.T, method, path string) map[string]spec.Param {
	t.Helper()
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Routes {
		if r.Method == method && r.Path == path {
			return r.QueryParams()
		}
	}
	t.Fatalf("no route %s %s", method, path)
	return nil
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	accounts := routeParams(t, "GET", "/accounts")
	tests := []struct {
		name    string
		params  map[string]spec.Param
		raw     string
		wantErr string // "" for success; else a substring of the message
	}{
		{"empty query", accounts, "", ""},
		{"repeated array key", accounts, "entity=1&entity=2", ""},
		{"every kind of value", accounts, "entity=1&page=2&page_size=-1&order=asc&status=ACTIVE&created_after=2024-01-01T00:00:00Z&name=x", ""},
		{"unknown parameter", accounts, "entity=1&foo=2", `unknown parameter "foo"`},
		{"not an integer", accounts, "page=two", `parameter "page" must be an integer, got "two"`},
		{"integer overflow", accounts, "page=99999999999999999999", `parameter "page" must be an integer`},
		{"comma list", accounts, "entity=1,2", `parameter "entity" is a comma list "1,2"`},
		{"empty value", accounts, "entity=", `parameter "entity" is empty`},
		{"key without value", accounts, "name", `parameter "name" is empty`},
		{"repeated scalar", accounts, "user=1&user=2", `parameter "user" is given 2 times but takes one value`},
		{"bad enum", accounts, "order=up", `parameter "order" must be one of asc, desc, got "up"`},
		{"bad date-time", accounts, "created_after=yesterday", `parameter "created_after" must be an RFC 3339 date-time`},
		{"below minimum", accounts, "page=0", `parameter "page" must be at least 1, got 0`},
		{"page_size below -1", accounts, "page_size=-2", `parameter "page_size" must be at least -1`},
		{"bad escape", accounts, "name=%zz", "malformed query string"},
		{"semicolon", accounts, "entity=1;entity=2", "malformed query string"},
		{"several problems at once", accounts, "foo=1&page=x", `unknown parameter "foo"; parameter "page" must be an integer`},
		{"bad boolean", routeParams(t, "GET", "/accounts/{account_id}/sync"), "synchronous=yes", `parameter "synchronous" must be true or false`},
		{"good boolean", routeParams(t, "GET", "/accounts/{account_id}/sync"), "synchronous=true", ""},
		{"bad date", routeParams(t, "GET", "/ethereum/accounts/{account_id}/stakes/{stake_uid}/rewards"), "start_date=2024-13-01", `parameter "start_date" must be a date`},
		{"required missing", routeParams(t, "GET", "/accounts/{account_id}/address/{index}"), "", `parameter "type" is required`},
		{"required present", routeParams(t, "GET", "/accounts/{account_id}/address/{index}"), "type=change", ""},
		{"bad amount", routeParams(t, "GET", "/transactions"), "min_amount=1e5", `parameter "min_amount" must be a decimal amount`},
		{"good amount", routeParams(t, "GET", "/transactions"), "min_amount=100.5&status=CONFIRMED&status=FAILED", ""},
		{"bad array enum value", routeParams(t, "GET", "/transactions"), "status=CONFIRMED&status=DONE", `parameter "status" must be one of`},
		{"path parameter is not a query parameter", routeParams(t, "GET", "/accounts/{account_id}"), "account_id=1", `unknown parameter "account_id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseQuery(tt.params, tt.raw)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parseQuery(%q) = %v, want no error", tt.raw, err)
				}
				return
			}
			var ae *apiError
			if !errors.As(err, &ae) || ae.status != 400 || !strings.HasPrefix(ae.message, "Invalid search parameter(s): ") {
				t.Fatalf("parseQuery(%q) = %v, want a 400 \"Invalid search parameter(s): …\"", tt.raw, err)
			}
			if !strings.Contains(ae.message, tt.wantErr) {
				t.Fatalf("parseQuery(%q) message %q, want it to contain %q", tt.raw, ae.message, tt.wantErr)
			}
		})
	}
}

func TestQueryAccessors(t *testing.T) {
	t.Parallel()
	q, err := parseQuery(routeParams(t, "GET", "/accounts"), "entity=3&entity=1&name=a+b&user=7")
	if err != nil {
		t.Fatal(err)
	}
	if got := q.ints("entity"); len(got) != 2 || got[0] != 3 || got[1] != 1 {
		t.Errorf("ints(entity) = %v, want [3 1]", got)
	}
	if got, ok := q.str("name"); !ok || got != "a b" {
		t.Errorf("str(name) = %q, %v; want \"a b\", true", got, ok)
	}
	if got, ok := q.int("user"); !ok || got != 7 {
		t.Errorf("int(user) = %d, %v; want 7, true", got, ok)
	}
	if q.without([]string{"entity", "user"}).has("entity") {
		t.Error("without(entity) still has entity")
	}
}
