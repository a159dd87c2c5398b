package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"reportgate/config"
	"reportgate/internal/ledgersim"
)

// governedBy returns the users in an account's governance, group members
// included, from the data set.
func governedBy(d ledgersim.Dataset, account int) map[int64]bool {
	users := set()
	for _, a := range d.Accounts {
		if a.ID != account {
			continue
		}
		for _, rs := range a.GovernanceRules {
			for _, r := range rs.Rules {
				for _, e := range r.Data {
					if r.Type != ledgersim.RuleMultiAuth {
						continue
					}
					for _, u := range e.Users {
						users[int64(u)] = true
					}
					for _, g := range d.Groups {
						if e.Group != nil && g.ID == *e.Group {
							for _, m := range g.Members {
								users[int64(m)] = true
							}
						}
					}
				}
			}
		}
	}
	return users
}

// Regression: /users passed the caller's account filter upstream
// unchecked, so /users?account=X listed which of the key's users govern an
// account X outside its scope (and, by being empty or not, whether X
// exists). Filters naming scope-bearing ids now keep to the scope.
func TestScopedListFiltersStayInScope(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	_, secret := w.key(1)
	d := w.sim.Dataset()
	o := scopeOf(d, 1)
	var foreign int64 = -1 // an account outside the scope governed by a user inside it
	for _, a := range d.Accounts {
		if o.accounts[int64(a.ID)] {
			continue
		}
		for u := range governedBy(d, a.ID) {
			if o.users[u] {
				foreign = int64(a.ID)
			}
		}
	}
	if foreign < 0 {
		t.Fatal("the data set has no account outside scope 1 governed by a user inside it")
	}
	var foreignGroup int64 = -1
	for _, x := range d.Groups {
		if !o.groups[int64(x.ID)] {
			foreignGroup = int64(x.ID)
		}
	}
	get(t, g, secret, "/entities") // resolve the scope first
	w.sim.ResetRequests()
	for _, target := range []string{
		sprintf("/users?account=%d", foreign),
		sprintf("/users?group=%d", foreignGroup),
	} {
		a := get(t, g, secret, target)
		if a.status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", target, a.status, a.body)
		}
		if ids, count := nodeIDs(t, a.body, "id"); count != 0 || len(ids) != 0 {
			t.Errorf("%s lists users %v (count %d): it tells who governs an object outside the scope", target, ids, count)
		}
	}
	for _, r := range w.upstreamRequests() {
		if strings.HasPrefix(r.Path, "/users") {
			t.Errorf("upstream was asked %s; a filter outside the scope must not reach it", r.RequestURI)
		}
	}
}

// Regression: /entities injected the key's accounts as its filter, so an
// entity of the key without accounts (emptied, or new) was missing from the
// list while GET /entities/{id} served it: an in-scope object not
// reachable by paging, and a count one short.
func TestEntityWithoutAccountsIsListed(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	d := w.sim.Dataset()
	for _, e := range d.Entities {
		if e.ID != 5 {
			continue
		}
		for _, id := range e.Accounts {
			for _, a := range d.Accounts {
				if a.ID == id && a.Parent == nil {
					if _, err := w.sim.MoveAccount(id, 4); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	_, secret := w.key(1, 5)
	if a := get(t, g, secret, "/entities/5"); a.status != http.StatusOK {
		t.Fatalf("/entities/5: %d %s, want 200 (the key is bound to it)", a.status, a.body)
	}
	a := get(t, g, secret, "/entities")
	if a.status != http.StatusOK {
		t.Fatalf("/entities: %d %s", a.status, a.body)
	}
	ids, count := nodeIDs(t, a.body, "id")
	if sprintf("%v", ids) != "[5 1]" || count != 2 {
		t.Errorf("/entities = %v (count %d), want [5 1] (count 2), newest first", ids, count)
	}
}

// A scoped list that would read more upstream objects than --max-scan is
// refused with a 400 that names the limit and how to narrow the list, not
// served short.
func TestScopedListScanLimit(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig()) // 120 requests upstream
	g := w.gateway(func(c *config.Config) { c.MaxScan = 100 }, nil)
	_, secret := w.key(1, 2)
	a := get(t, g, secret, "/requests")
	if a.status != http.StatusBadRequest {
		t.Fatalf("/requests over the scan limit: %d %s, want 400", a.status, a.body)
	}
	e := a.json(t)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "100") || !strings.Contains(msg, "--max-scan") || !strings.Contains(msg, "filters") {
		t.Errorf("message %q does not name the limit and the way out", msg)
	}
	// Narrowed by a filter, the same list is served.
	if a := get(t, g, secret, "/requests?status=REJECTED"); a.status != http.StatusOK {
		t.Errorf("/requests?status=REJECTED: %d %s, want 200", a.status, a.body)
	}
}
