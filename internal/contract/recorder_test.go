package contract_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"reportgate/internal/contract"
)

// fakeTB collects what a recorder reports instead of failing the test.
type fakeTB struct {
	testing.TB // nil: any other method panics
	cleanups   []func()
	errors     []string
	logs       []string
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestRecorderReportsAtTheEnd(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{}
	rec := contract.NewRecorder(tb, newValidator(t))
	badUser := strings.Replace(userJSON, `"id":1`, `"id":"1"`, 1)
	twoBadUsers := `{"edges":[{"cursor":0,"node":` + badUser + `},{"cursor":1,"node":` + badUser + `}],"page_info":{"count":2,"has_next_page":false}}`

	rec.Check(exchange(contract.Partner, "GET", "/users/1", partnerHeader, 200, userJSON))
	rec.Check(exchange(contract.Partner, "GET", "/users/abc", partnerHeader, 400, errorJSON)) // refused and answered so: fine
	rec.Check(exchange(contract.Upstream, "GET", "/users/abc", operatorHeader, 404, errorJSON))
	rec.Check(exchange(contract.Upstream, "GET", "/users", operatorHeader, 200, twoBadUsers))
	rec.CheckRefused(exchange(contract.Partner, "GET", "/users/2", partnerHeader, 404, errorJSON))
	rec.CheckAllowed(exchange(contract.Partner, "GET", "/users/2?page=1", partnerHeader, 404, errorJSON))
	rec.CheckAllowed(exchange(contract.Partner, "GET", "/users/2", partnerHeader, 404, errorJSON))
	if len(tb.errors) != 0 {
		t.Fatalf("reported before the end: %v", tb.errors)
	}
	tb.end()
	if len(tb.errors) != 1 {
		t.Fatalf("reported %d times, want once: %v", len(tb.errors), tb.errors)
	}
	report := tb.errors[0]
	for _, want := range []string{
		"4 distinct violations",
		`upstream hop, GET /users/{user_id}: request: path parameter "user_id"`,
		"upstream hop, GET /users: response: status 200: at /edges/*/node/id",
		"2×, first: GET /users: response: status 200: at /edges/0/node/id",
		"partner hop, GET /users/{user_id}: request: the spec allows it",
		`partner hop, GET /users/{user_id}: request: query parameter "page" is not declared`,
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "/users/1:") || strings.Contains(report, "partner hop, GET /users/{user_id}: response") {
		t.Errorf("report names a valid exchange:\n%s", report)
	}
	if len(tb.logs) != 1 || !strings.Contains(tb.logs[0], "partner  GET /users/{user_id}") {
		t.Errorf("log of operations = %v", tb.logs)
	}
}

func TestFromRaw(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	x := contract.FromRaw(contract.Partner, "GET /users/1?page=1 HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: k\r\n"+
		"X-Ledger-Workspace: acme\r\n\r\n", 200, jsonHeader, []byte(userJSON))
	if x.Method != "GET" || x.Target != "/users/1?page=1" {
		t.Errorf("method %q target %q, want GET /users/1?page=1", x.Method, x.Target)
	}
	res := v.Check(x)
	if res.Request == nil || !strings.Contains(res.Request.Error(), `"page" is not declared`) || res.Response != nil {
		t.Errorf("Check = %+v, want only the undeclared page", res)
	}
	bad := contract.FromRaw(contract.Partner, "GET /users/1 HTTP/1.1\r\nbroken header\r\n\r\n", 200, jsonHeader, []byte(userJSON))
	if res := v.Check(bad); res.Request == nil || res.Response == nil {
		t.Errorf("an unreadable request answered 200: %+v, want both sides refused", res)
	}
}

func TestFromFastHTTP(t *testing.T) {
	t.Parallel()
	var req fasthttp.Request
	var resp fasthttp.Response
	req.SetRequestURI("/users/1")
	req.Header.Set(contract.HeaderReportingKey, "k")
	req.Header.Set(contract.HeaderWorkspace, "acme")
	resp.SetStatusCode(200)
	resp.Header.SetContentType("application/json")
	resp.SetBodyString(userJSON)
	x := contract.FromFastHTTP(contract.Partner, &req, &resp)
	if res := newValidator(t).Check(x); res.Operation != "GET /users/{user_id}" || res.Request != nil || res.Response != nil {
		t.Errorf("Check = %+v, want a valid GET /users/{user_id}", res)
	}
}

func TestFromHTTP(t *testing.T) {
	t.Parallel()
	req, _ := http.NewRequest("GET", "http://gw/users/1", nil)
	req.Header = partnerHeader.Clone()
	x := contract.FromHTTP(contract.Partner, req, nil, &http.Response{StatusCode: 200, Header: jsonHeader}, []byte(userJSON))
	if res := newValidator(t).Check(x); x.Target != "/users/1" || res.Request != nil || res.Response != nil {
		t.Errorf("target %q, Check = %+v; want a valid /users/1", x.Target, res)
	}
}
