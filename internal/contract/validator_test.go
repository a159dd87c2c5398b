package contract_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"reportgate/internal/contract"
)

const (
	userJSON   = `{"id":1,"username":"op1","role":"OPERATOR","status":"ACTIVE","is_api":false,"created_by":1,"created_on":"2024-01-01T00:00:00Z"}`
	errorJSON  = `{"message":"no","name":"Unauthorized","status_code":401}`
	digestJSON = `{"account_id":1,"created_by":1,"created_on":"2024-01-01T00:00:00Z","digests_data":[],"id":1,"notes":[],"status":"SIGNED"}`
)

var (
	partnerHeader  = http.Header{"X-Ledger-Reporting-Api-Key": {"lrk_x"}, "X-Ledger-Workspace": {"acme"}}
	operatorHeader = http.Header{"X-Ledger-Api-User": {"reportgate-operator"}}
	jsonHeader     = http.Header{"Content-Type": {"application/json"}}
)

func exchange(hop contract.Hop, method, target string, h http.Header, status int, body string) contract.Exchange {
	return contract.Exchange{Hop: hop, Method: method, Target: target, RequestHeader: h, Status: status,
		ResponseHeader: jsonHeader, ResponseBody: []byte(body)}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	user := func(edit string) string { return strings.Replace(userJSON, `"username":"op1"`, edit, 1) }
	page := func(node string) string {
		return `{"edges":[{"cursor":0,"node":` + node + `}],"page_info":{"count":1,"has_next_page":false}}`
	}
	tests := []struct {
		name       string
		x          contract.Exchange
		op         string
		badRequest string // "" when the request is valid; else part of the problem
		badAnswer  string
	}{
		{"partner user", exchange(contract.Partner, "GET", "/users/1", partnerHeader, 200, userJSON), "GET /users/{user_id}", "", ""},
		{"status ACTIVE is in both of the spec's enums (rewritten to anyOf)", exchange(contract.Upstream, "GET", "/users?page_size=1", operatorHeader, 200, page(userJSON)), "GET /users", "", ""},
		{"empty digests list matches signed and to-sign (rewritten to anyOf)", exchange(contract.Upstream, "GET", "/digests/1", operatorHeader, 200, digestJSON), "GET /digests/{digests_id}", "", ""},
		{"a property the closed User does not have", exchange(contract.Partner, "GET", "/users/1", partnerHeader, 200, user(`"username":"op1","email":"a@b"`)), "GET /users/{user_id}", "", `property "email" is unsupported`},
		{"a required property missing", exchange(contract.Partner, "GET", "/users/1", partnerHeader, 200, user(`"email2":null`)), "GET /users/{user_id}", "", `property "username" is missing`},
		{"a value outside the enum", exchange(contract.Partner, "GET", "/users/1", partnerHeader, 200, strings.Replace(userJSON, "OPERATOR", "ROOT", 1)), "GET /users/{user_id}", "", "/role"},
		{"a string for an integer", exchange(contract.Partner, "GET", "/users/1", partnerHeader, 200, strings.Replace(userJSON, `"id":1`, `"id":"1"`, 1)), "GET /users/{user_id}", "", "/id"},
		{"a date-time that is not one", exchange(contract.Partner, "GET", "/users/1", partnerHeader, 200, strings.Replace(userJSON, "2024-01-01T00:00:00Z", "yesterday", 1)), "GET /users/{user_id}", "", "/created_on"},
		{"no reporting key, refused", exchange(contract.Partner, "GET", "/users/1", http.Header{"X-Ledger-Workspace": {"acme"}}, 401, errorJSON), "GET /users/{user_id}", "X-Ledger-Reporting-API-Key", ""},
		{"no reporting key, answered", exchange(contract.Partner, "GET", "/users/1", http.Header{"X-Ledger-Workspace": {"acme"}}, 200, userJSON), "GET /users/{user_id}", "X-Ledger-Reporting-API-Key", "answers a request the spec refuses"},
		{"operator headers on the partner hop", exchange(contract.Partner, "GET", "/users/1", operatorHeader, 403, errorJSON), "GET /users/{user_id}", "credentials", ""},
		{"420 with an Error", exchange(contract.Partner, "GET", "/users/1", partnerHeader, 420, errorJSON), "GET /users/{user_id}", "", ""},
		{"503 without status_code", exchange(contract.Partner, "GET", "/users/1", partnerHeader, 503, `{"message":"down","name":"x"}`), "GET /users/{user_id}", "", `"status_code" is missing`},
		{"502 in plain text", contract.Exchange{Hop: contract.Partner, Method: "GET", Target: "/users/1", RequestHeader: partnerHeader, Status: 502,
			ResponseHeader: http.Header{"Content-Type": {"text/plain"}}, ResponseBody: []byte("bad gateway")}, "GET /users/{user_id}", "", "want an application/json Error"},
		{"the gateway's DELETE", exchange(contract.Partner, "DELETE", "/notifications/configuration", partnerHeader, 204, ""), "DELETE /notifications/configuration", "", ""},
		{"no DELETE upstream", exchange(contract.Upstream, "DELETE", "/notifications/configuration", operatorHeader, 405, errorJSON), "", "no operation", ""},
		{"an unknown path refused", exchange(contract.Partner, "GET", "/nope", partnerHeader, 404, errorJSON), "", "no operation", ""},
		{"an unknown path answered", exchange(contract.Partner, "GET", "/nope", partnerHeader, 200, `{}`), "", "no operation", "answers a request the spec refuses"},
		{"an undeclared query parameter", exchange(contract.Upstream, "GET", "/users?colour=red", operatorHeader, 200, page(userJSON)), "GET /users", `"colour" is not declared`, ""},
		{"a scalar given twice", exchange(contract.Upstream, "GET", "/users?account=1&account=2", operatorHeader, 200, page(userJSON)), "GET /users", `"account" takes one value, has 2`, ""},
		{"an array as repeated keys", exchange(contract.Upstream, "GET", "/accounts?entity=1&entity=2&page_size=0", operatorHeader, 400, errorJSON), "GET /accounts", "", ""},
		{"an array as a comma list", exchange(contract.Upstream, "GET", "/accounts?entity=1,2", operatorHeader, 400, errorJSON), "GET /accounts", `"entity"`, ""},
		{"a reporting key sent upstream", exchange(contract.Upstream, "GET", "/users/1", http.Header{"X-Ledger-Api-User": {"op"}, "X-Ledger-Reporting-Api-Key": {"lrk_x"}}, 200, userJSON), "GET /users/{user_id}", "must not reach the upstream hop", ""},
		{"an operator key given twice", exchange(contract.Upstream, "GET", "/users/1", http.Header{"X-Ledger-Api-User": {"op"}, "X-Ledger-Api-Key": {"k", "k2"}}, 200, userJSON), "GET /users/{user_id}", "X-Ledger-API-Key is given 2 times", ""},
		{"no operator user upstream", exchange(contract.Upstream, "GET", "/users/1", http.Header{"X-Ledger-Api-Key": {"k"}}, 401, errorJSON), "GET /users/{user_id}", "X-Ledger-API-User", ""},
		{"a path id that is not an integer", exchange(contract.Upstream, "GET", "/users/abc", operatorHeader, 404, errorJSON), "GET /users/{user_id}", `"user_id"`, ""},
		{"a path id that is not an integer, answered", exchange(contract.Upstream, "GET", "/users/abc", operatorHeader, 200, userJSON), "GET /users/{user_id}", `"user_id"`, "answers a request the spec refuses"},
		{"an encoded slash is not a separator", exchange(contract.Partner, "GET", "/accounts%2F5", partnerHeader, 400, errorJSON), "", "no operation", ""},
		{"an encoded slash in an integer id", exchange(contract.Partner, "GET", "/accounts/5%2Fbalances", partnerHeader, 400, errorJSON), "GET /accounts/{account_id}", `"account_id"`, ""},
		{"an encoded slash in a string parameter", exchange(contract.Upstream, "GET", "/currencies/bitcoin/a%2Fb", operatorHeader, 404, errorJSON), "GET /currencies/{currency_name}/{address}", "", ""},
		{"a trailing slash", exchange(contract.Partner, "GET", "/accounts/", partnerHeader, 400, errorJSON), "", "a trailing slash", ""},
		{"a trailing slash answered", exchange(contract.Partner, "GET", "/accounts/5/", partnerHeader, 200, `{}`), "", "a trailing slash", "answers a request the spec refuses"},
		{"not a path", exchange(contract.Partner, "GET", "http://gw/users/1", partnerHeader, 400, errorJSON), "", "is not a path", ""},
		{"a body on a GET", contract.Exchange{Hop: contract.Upstream, Method: "GET", Target: "/users/1", RequestHeader: operatorHeader, RequestBody: []byte("{}"),
			Status: 200, ResponseHeader: jsonHeader, ResponseBody: []byte(userJSON)}, "GET /users/{user_id}", "a body on an operation that takes none", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := v.Check(tt.x)
			if res.Operation != tt.op {
				t.Errorf("operation %q, want %q", res.Operation, tt.op)
			}
			wantProblem(t, "request", res.Request, tt.badRequest)
			wantProblem(t, "response", res.Response, tt.badAnswer)
		})
	}
}

func wantProblem(t *testing.T, side string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: unexpected violation: %v", side, err)
	case want != "" && err == nil:
		t.Errorf("%s: no violation, want one about %q", side, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%s: %v, want a problem about %q", side, err, want)
	}
}

func TestCheckNoOperationIsErrNoOperation(t *testing.T) {
	t.Parallel()
	res := newValidator(t).Check(exchange(contract.Partner, "GET", "/nope", partnerHeader, 404, errorJSON))
	if !errors.Is(res.Request, contract.ErrNoOperation) {
		t.Errorf("request error %v, want ErrNoOperation", res.Request)
	}
}

func TestDocumented(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	got, err := v.Documented(contract.Upstream, "GET", "/accounts/{account_id}/balances/history")
	if err != nil || len(got) != 2 || got[0] != 200 || got[1] != 501 {
		t.Errorf("Documented = %v, %v; want [200 501]", got, err)
	}
	if _, err := v.Documented(contract.Upstream, "DELETE", "/notifications/configuration"); !errors.Is(err, contract.ErrNoOperation) {
		t.Errorf("upstream DELETE: %v, want ErrNoOperation", err)
	}
	if got, err := v.Documented(contract.Partner, "DELETE", "/notifications/configuration"); err != nil || len(got) != 1 || got[0] != 204 {
		t.Errorf("partner DELETE: %v, %v; want [204]", got, err)
	}
}
