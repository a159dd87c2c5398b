package ledgersim_test

import (
	"net/http"
	"strings"
	"testing"

	"reportgate/internal/ledgersim"
)

func TestErrorBodies(t *testing.T) {
	t.Parallel()
	s := start(t, func(c *ledgersim.Config) { c.APIKey = "k3y" })
	good := http.Header{ledgersim.HeaderAPIUser: {ledgersim.DefaultAPIUser}, ledgersim.HeaderAPIKey: {"k3y"}}
	tests := []struct {
		name        string
		method      string
		path        string
		header      http.Header
		wantStatus  int
		wantName    string
		wantMessage string // substring
	}{
		{"unknown account", "GET", "/accounts/999", good, 404, "NotFound", "Account not found"},
		{"non-integer id", "GET", "/accounts/abc", good, 404, "NotFound", "Account not found"},
		{"unknown transaction", "GET", "/transactions/0", good, 404, "NotFound", "Transaction not found"},
		{"unknown entity users", "GET", "/entities/77/users", good, 404, "NotFound", "Entity not found"},
		{"unknown children parent", "GET", "/accounts/999/erc20-children-accounts", good, 404, "NotFound", "Account not found"},
		{"unknown path", "GET", "/nope", good, 404, "NotFound", "no operation at GET /nope"},
		{"trailing slash", "GET", "/accounts/", good, 404, "NotFound", "no operation"},
		{"dot segment", "GET", "/accounts/../users", good, 404, "NotFound", "no operation"},
		{"double slash", "GET", "/accounts//1", good, 404, "NotFound", "no operation"},
		{"POST on a GET route", "POST", "/accounts", good, 405, "MethodNotAllowed", "allowed: GET"},
		{"DELETE on a GET route", "DELETE", "/accounts/1", good, 405, "MethodNotAllowed", "method DELETE is not allowed"},
		{"spec POST not simulated", "POST", "/transactions/estimate-fees", good, 501, "NotImplemented", "not simulated"},
		{"unknown parameter", "GET", "/accounts?foo=1", good, 400, "InvalidSearchParameters", `Invalid search parameter(s): unknown parameter "foo"`},
		{"malformed value", "GET", "/transactions?account=x", good, 400, "InvalidSearchParameters", `parameter "account" must be an integer, got "x"`},
		{"comma list", "GET", "/accounts?entity=1,2", good, 400, "InvalidSearchParameters", "comma list"},
		{"repeated scalar", "GET", "/users?account=1&account=2", good, 400, "InvalidSearchParameters", "given 2 times"},
		{"empty value", "GET", "/accounts?entity=", good, 400, "InvalidSearchParameters", `"entity" is empty`},
		{"no user header", "GET", "/accounts", http.Header{ledgersim.HeaderAPIKey: {"k3y"}}, 401, "Unauthorized", "X-Ledger-API-User"},
		{"wrong user", "GET", "/accounts", http.Header{ledgersim.HeaderAPIUser: {"mallory"}, ledgersim.HeaderAPIKey: {"k3y"}}, 401, "Unauthorized", "X-Ledger-API-User"},
		{"user header twice", "GET", "/accounts", http.Header{ledgersim.HeaderAPIUser: {ledgersim.DefaultAPIUser, ledgersim.DefaultAPIUser}, ledgersim.HeaderAPIKey: {"k3y"}}, 401, "Unauthorized", "X-Ledger-API-User"},
		{"no key", "GET", "/accounts", http.Header{ledgersim.HeaderAPIUser: {ledgersim.DefaultAPIUser}}, 401, "Unauthorized", "X-Ledger-API-Key"},
		{"wrong key", "GET", "/accounts", http.Header{ledgersim.HeaderAPIUser: {ledgersim.DefaultAPIUser}, ledgersim.HeaderAPIKey: {"nope"}}, 401, "Unauthorized", "X-Ledger-API-Key"},
		{"auth before 404", "GET", "/nope", nil, 401, "Unauthorized", "X-Ledger-API-User"},
		{"no configuration yet", "GET", "/notifications/configuration", good, 404, "NotFound", "Current user doesn't have any configuration"},
		{"bad control body", "POST", "/_sim/transactions", nil, 400, "InvalidRequestData", "Invalid request data"},
		{"unknown control path", "GET", "/_sim/nope", nil, 404, "NotFound", "no operation"},
		{"control method", "GET", "/_sim/reset", nil, 405, "MethodNotAllowed", "allowed: POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := doWith(t, s, tt.method, tt.path, nil, tt.header)
			e := decodeError(t, body)
			if status != tt.wantStatus || e.StatusCode != tt.wantStatus || e.Name != tt.wantName || !strings.Contains(e.Message, tt.wantMessage) {
				t.Fatalf("%s %s = %d %+v, want %d %s containing %q", tt.method, tt.path, status, e, tt.wantStatus, tt.wantName, tt.wantMessage)
			}
		})
	}
}

func TestAPIKeyNotCheckedWhenUnset(t *testing.T) {
	t.Parallel()
	s := start(t)
	status, body := do(t, s, http.MethodGet, "/entities/1", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /entities/1 without a key = %d %s, want 200", status, body)
	}
}
