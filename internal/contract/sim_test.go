package contract_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"

	"reportgate/internal/contract"
	"reportgate/internal/ledgersim"
	"reportgate/internal/ledgersim/simtest"
	"reportgate/internal/spec"
)

// sharedValidator is built once for the package's tests: a Validator is
// read-only and safe for concurrent use, and building one costs seconds
// under -race.
var sharedValidator = sync.OnceValues(contract.New)

func newValidator(t *testing.T) *contract.Validator {
	t.Helper()
	v, err := sharedValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// documented returns the statuses route's operation documents.
func documented(t *testing.T, v *contract.Validator, route spec.Route) []int {
	t.Helper()
	statuses, err := v.Documented(contract.Upstream, route.Method, route.Path)
	if err != nil {
		t.Fatal(err)
	}
	return statuses
}

// TestSimulatorFollowsSpec calls every GET of the spec on the simulator
// with valid parameters (every account, a sample of the other objects,
// every query parameter at once, the largest pages) and validates each
// answer: a request the spec allows must get a status its operation
// documents, and every operation must answer 200 at least once. A few
// requests the spec refuses must get an Error. So the simulator cannot
// drift from the spec; in leaky mode (lists ignore their scope filters)
// too.
func TestSimulatorFollowsSpec(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	cov := &coverage{}
	t.Cleanup(func() { checkTable(t, v, doc, cov) }) // after the subtests
	for _, leaky := range []bool{false, true} {
		t.Run(fmt.Sprintf("leaky=%v", leaky), func(t *testing.T) {
			t.Parallel()
			cfg := ledgersim.DefaultConfig()
			cfg.Leaky = leaky
			sim := simtest.Start(t, cfg)
			c := &simClient{t: t, url: sim.URL(), rec: contract.NewRecorder(t, v)}
			f := newFixtures(c, sim.Dataset())
			for _, route := range doc.Routes {
				if route.Method == http.MethodGet {
					callRoute(c, v, f, route)
				} else {
					callUnsimulated(c, v, f, route)
				}
			}
			checkNotifications(c)
			checkRefusals(c, f)
			wantEverySuccess(t, c.rec, doc)
			cov.add(c.rec.Seen())
		})
	}
}

// callUnsimulated sends one of the spec's writes, which the simulator
// answers 501 without reading: the answer must be an Error.
func callUnsimulated(c *simClient, v *contract.Validator, f *fixtures, route spec.Route) {
	c.t.Helper()
	if route.Method == http.MethodPut {
		return // PUT /notifications/configuration is simulated: checkNotifications
	}
	x := c.do(route.Method, fill(route.Path, f.pathValues(route)[0]), []byte(`{}`))
	if v.Check(x).Request == nil {
		c.rec.Check(x)
	} else {
		c.rec.CheckRefused(x)
	}
	c.wantStatus(x, []int{http.StatusNotImplemented})
}

// callRoute calls one GET with each set of path values, then with every
// query parameter, then with the largest pages.
func callRoute(c *simClient, v *contract.Validator, f *fixtures, route spec.Route) {
	c.t.Helper()
	want := documented(c.t, v, route)
	values := f.pathValues(route)
	if len(values) == 0 {
		c.t.Errorf("%s: the data set offers no path values", route.Path)
		return
	}
	for _, vals := range values {
		c.get(fill(route.Path, vals)+required(route), want...)
	}
	path := fill(route.Path, values[0])
	c.get(path+"?"+everyParam(route), want...)
	if _, ok := route.QueryParams()["page_size"]; ok {
		// 0 means the largest page; above the simulator's maximum is
		// still a request the spec allows.
		c.get(path+"?page_size=0", want...)
		c.get(path+"?page_size=100000", want...)
	}
}

// wantEverySuccess fails for each GET (and the PUT) no 200 validated.
func wantEverySuccess(t *testing.T, rec *contract.Recorder, doc spec.Document) {
	t.Helper()
	ok := map[string]bool{}
	for s := range rec.Seen() {
		if s.Status == http.StatusOK {
			ok[s.Operation] = true
		}
	}
	for _, r := range doc.Routes {
		if key := r.Method + " " + r.Path; (r.Method == http.MethodGet || r.Method == http.MethodPut) && !ok[key] {
			t.Errorf("%s: no 200 answer was validated", key)
		}
	}
}

// checkNotifications sets the operator's webhook and reads it back.
func checkNotifications(c *simClient) {
	c.t.Helper()
	c.get("/notifications/configuration", http.StatusNotFound)
	x := c.do(http.MethodPut, "/notifications/configuration",
		[]byte(`{"all":{"webhook":{"url":"https://example.test/hook","secret":"s3cret-s3cret"}}}`))
	c.rec.Check(x)
	c.wantStatus(x, []int{http.StatusOK})
	c.get("/notifications/configuration", http.StatusOK)
}

// checkRefusals sends requests the spec refuses, or that name missing
// objects, and wants the documented error.
func checkRefusals(c *simClient, f *fixtures) {
	c.t.Helper()
	missing := strconv.Itoa(len(f.ds.Transactions) + 1000)
	for _, target := range []string{"/transactions/" + missing, "/accounts/" + missing, "/users/" + missing,
		"/entities/" + missing + "/users", "/digests/" + missing + "/history"} {
		c.get(target, http.StatusNotFound)
	}
	for _, target := range []string{
		"/transactions?page_size=abc", "/transactions?unknown=1", "/accounts?entity=1,2",
		"/users?account=1&account=2", "/transactions/abc", "/accounts?status=NOPE",
		"/accounts/1/balances/history?start=yesterday",
	} {
		c.refused(http.MethodGet, target, http.StatusBadRequest, http.StatusNotFound)
	}
	c.refused(http.MethodGet, "/no/such/path", http.StatusNotFound)
	c.refused(http.MethodDelete, "/transactions", http.StatusMethodNotAllowed)
	if !slices.Contains(f.currencies, "nope") {
		c.get("/currencies/nope", http.StatusNotFound)
	}
}
