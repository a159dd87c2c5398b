package ledgersim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"reportgate/internal/ledgersim"
	"reportgate/internal/ledgersim/simtest"
)

// start runs a simulator with the default config changed by edits.
func start(t *testing.T, edits ...func(*ledgersim.Config)) *ledgersim.Server {
	t.Helper()
	cfg := ledgersim.DefaultConfig()
	for _, e := range edits {
		e(&cfg)
	}
	return simtest.Start(t, cfg)
}

// do sends a request with the operator's user header and returns the
// status and body.
func do(t *testing.T, s *ledgersim.Server, method, path string, body any) (int, []byte) {
	t.Helper()
	return doWith(t, s, method, path, body, http.Header{ledgersim.HeaderAPIUser: {ledgersim.DefaultAPIUser}})
}

func doWith(t *testing.T, s *ledgersim.Server, method, path string, body any, h http.Header) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// getJSON GETs path, wants 200 and decodes the body into v.
func getJSON(t *testing.T, s *ledgersim.Server, path string, v any) {
	t.Helper()
	status, body := do(t, s, http.MethodGet, path, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s = %d %s, want 200", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// page is the spec's pagination envelope with id-bearing nodes.
type page struct {
	Edges []struct {
		Cursor int             `json:"cursor"`
		Node   json.RawMessage `json:"node"`
	} `json:"edges"`
	PageInfo struct {
		Count       int  `json:"count"`
		HasNextPage bool `json:"has_next_page"`
	} `json:"page_info"`
}

// ids returns the nodes' "id" fields in order.
func (p page) ids(t *testing.T) []int {
	t.Helper()
	out := []int{}
	for _, e := range p.Edges {
		var n struct{ ID int }
		if err := json.Unmarshal(e.Node, &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n.ID)
	}
	return out
}

// listIDs GETs every item of a list in one page (page_size=0) and returns
// their ids, checking count matches.
func listIDs(t *testing.T, s *ledgersim.Server, path string) []int {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var p page
	getJSON(t, s, path+sep+"page_size=0", &p)
	ids := p.ids(t)
	if p.PageInfo.Count != len(ids) || p.PageInfo.HasNextPage {
		t.Fatalf("GET %s: page_info %+v with %d edges, want count %d and no next page", path, p.PageInfo, len(ids), len(ids))
	}
	return ids
}

// errorBody is the spec's Error.
type errorBody struct {
	Message    string `json:"message"`
	Name       string `json:"name"`
	StatusCode int    `json:"status_code"`
}

func decodeError(t *testing.T, body []byte) errorBody {
	t.Helper()
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	return e
}

func sorted(xs []int) []int {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// The oracle: governance as the spec describes it, computed from the
// data set independently of the simulator's own code.

func directUsers(a ledgersim.Account) []int {
	var out []int
	for _, rs := range a.GovernanceRules {
		for _, r := range rs.Rules {
			for _, e := range r.Data {
				if r.Type == "MULTI_AUTHORIZATIONS" {
					out = append(out, e.Users...)
				}
			}
		}
	}
	return out
}

func ruleRefs(a ledgersim.Account, typ string, field func(ledgersim.RuleEntry) *int) []int {
	var out []int
	for _, rs := range a.GovernanceRules {
		for _, r := range rs.Rules {
			for _, e := range r.Data {
				if r.Type == typ && field(e) != nil {
					out = append(out, *field(e))
				}
			}
		}
	}
	return out
}

func groupsOf(a ledgersim.Account) []int {
	return ruleRefs(a, "MULTI_AUTHORIZATIONS", func(e ledgersim.RuleEntry) *int { return e.Group })
}

func whitelistsOf(a ledgersim.Account) []int {
	return ruleRefs(a, "WHITELIST", func(e ledgersim.RuleEntry) *int { return e.Whitelist })
}

// usersOf: direct users plus members of the groups the rules name.
func usersOf(d ledgersim.Dataset, a ledgersim.Account) []int {
	out := directUsers(a)
	for _, g := range groupsOf(a) {
		out = append(out, d.Groups[g-1].Members...)
	}
	return sorted(out)
}

// entityOf maps account id → owning entities.
func entityOf(d ledgersim.Dataset) map[int][]int {
	m := map[int][]int{}
	for _, e := range d.Entities {
		for _, a := range e.Accounts {
			m[a] = append(m[a], e.ID)
		}
	}
	return m
}

// where returns the ids of xs that keep accepts.
func where[T any](xs []T, id func(T) int, keep func(T) bool) []int {
	out := []int{}
	for _, x := range xs {
		if keep(x) {
			out = append(out, id(x))
		}
	}
	return out
}

func accountID(a ledgersim.Account) int     { return a.ID }
func txID(x ledgersim.Transaction) int      { return x.ID }
func userID(u ledgersim.User) int           { return u.ID }
func requestID(r ledgersim.Request) int     { return r.ID }
func whitelistID(w ledgersim.Whitelist) int { return w.ID }
func groupID(g ledgersim.Group) int         { return g.ID }
func entityID(e ledgersim.Entity) int       { return e.ID }
func digestID(x ledgersim.Digest) int       { return x.ID }
func messageID(x ledgersim.Message) int     { return x.ID }
func hasAny(xs []int, ys ...int) bool {
	return slices.ContainsFunc(xs, func(x int) bool { return slices.Contains(ys, x) })
}
func strIn(x string, ys ...string) bool { return slices.Contains(ys, x) }
func derefOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
