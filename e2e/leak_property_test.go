package e2e_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"reportgate/config"
	"reportgate/internal/gateway"
	"reportgate/internal/ledgersim"
	"reportgate/internal/ledgersim/simtest"
	"reportgate/policy"
	"reportgate/registry"
)

var leakSeed = flag.Uint64("leak.seed", 20261126, "seed of TestNothingLeaks: keys' entities, requests, filters, pages")

// TestNothingLeaks is the property test of docs/design.md §1: random keys (random
// entity sets) read every route a key may call, with random filters,
// pages and ids, and every answer is compared with an oracle built apart
// from the gateway: the scope from the simulator's data set (scopeOf), the
// filters' meaning from a second, honest simulator with the same seed.
//
// Normal mode: every list is exactly the in-scope part of the honest
// answer, in the same order, reachable by paging, with an honest count and
// has_next_page; every object is served as the upstream serves it, or 404
// when outside the scope; out-of-scope ids and filter values never reach
// the upstream.
//
// Leaky mode (the upstream ignores scope filters and lists other accounts'
// sub-resources): nothing outside the scope is ever served. A page either
// passes with every object in scope, or is withheld with a 502 in the
// Error shape and a log line naming the route and the key; a list paged
// to its end is never missing an in-scope object, and its count is what
// paging yields.
//
// Cached modes run both with the response cache on (a TTL longer than the
// run): answers fetched for one key serve every later key whose request
// is the same upstream read, so each cached answer, honest or leaky, is
// checked against the scope of keys other than the one that fetched it,
// and must hold the same properties. They draw half the keys, to keep the
// run short.
func TestNothingLeaks(t *testing.T) {
	for _, m := range []leakMode{{"normal", false, false}, {"leaky", true, false}, {"cached", false, true}, {"leaky-cached", true, true}} {
		t.Run(m.name, func(t *testing.T) { newLeakRun(t, m).run() })
	}
}

// leakMode is one run of TestNothingLeaks: an upstream that ignores scope
// filters or not, the response cache on or off.
type leakMode struct {
	name          string
	leaky, cached bool
}

// leakSize is how much one mode does: keys, filter combinations per list
// route and key, ids per object route and key.
type leakSize struct{ keys, combos, ids int }

type leakRun struct {
	t      *testing.T
	leaky  bool
	cached bool
	size   leakSize
	w      *world
	g      *gateway.Gateway
	honest *ledgersim.Server
	d      ledgersim.Dataset
	rng    *rand.Rand
	logAt  int

	// the key under test
	key    registry.Key
	secret string
	o      oracle

	n struct{ requests, walks, pages, withheld, notFound int }
}

func newLeakRun(t *testing.T, m leakMode) *leakRun {
	cfg := ledgersim.DefaultConfig()
	r := &leakRun{t: t, leaky: m.leaky, cached: m.cached, size: leakSize{keys: 10, combos: 4, ids: 4}}
	if m.cached {
		r.size.keys = 5
	}
	if testing.Short() {
		r.size = leakSize{keys: 2, combos: 1, ids: 2}
	}
	r.w = newWorld(t, cfg)
	var edit func(*config.Config)
	if m.cached {
		edit = func(c *config.Config) { c.UpstreamCacheTTL = 10 * time.Minute }
	}
	r.g = r.w.gateway(edit, nil)
	r.honest = simtest.Start(t, cfg) // same seed and sizes: the same data set
	r.d = r.w.sim.Dataset()
	seed := *leakSeed
	if m.leaky {
		seed++
		if err := r.w.sim.SetFaults(ledgersim.Faults{Leaky: true}); err != nil {
			t.Fatal(err)
		}
	}
	if m.cached {
		seed += 2
	}
	t.Logf("seed %d (go test -run 'TestNothingLeaks' ./e2e -args -leak.seed=%d to replay every mode)", seed, *leakSeed)
	r.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return r
}

func (r *leakRun) run() {
	start := time.Now()
	for i := 0; i < r.size.keys; i++ {
		entities := r.entitySet()
		r.key, r.secret = r.w.key(entities...)
		r.o = scopeOf(r.d, entities...)
		r.t.Logf("key %d: entities %v: %d accounts, %d users, %d groups, %d whitelists, %d transactions, %d requests",
			i, entities, len(r.o.accounts), len(r.o.users), len(r.o.groups), len(r.o.whitelists), len(r.o.transactions), len(r.o.requests))
		for _, lr := range listRoutes {
			for c := 0; c < r.size.combos; c++ {
				r.walk(lr, r.filters(lr))
			}
		}
		for _, dr := range objectRoutes {
			for _, id := range r.ids(dr) {
				r.object(dr, id)
			}
		}
		if r.t.Failed() {
			r.t.Fatalf("stopped after key %d (entities %v)", i, entities)
		}
	}
	r.t.Logf("%d keys, %d requests (%d list walks over %d pages), %d answered 404, %d withheld with 502, in %v",
		r.size.keys, r.n.requests, r.n.walks, r.n.pages, r.n.notFound, r.n.withheld, time.Since(start).Round(time.Millisecond))
	if r.leaky && r.n.withheld == 0 {
		r.t.Error("leaky mode withheld nothing: the upstream's leaks were not exercised")
	}
	if r.cached {
		st := scrapeSaved(r.t, r.g)
		r.t.Logf("upstream reads answered from the cache: %d", st)
		if st == 0 {
			r.t.Error("cached mode served nothing from the cache: the cache was not exercised")
		}
	}
}

// entitySet draws some of the data set's entities, sometimes with one that
// does not exist, sometimes only that one (an empty scope).
func (r *leakRun) entitySet() []int64 {
	missing := int64(len(r.d.Entities) + 7)
	if r.rng.IntN(10) == 0 {
		return []int64{missing}
	}
	var out []int64
	for _, e := range r.d.Entities {
		if r.rng.IntN(3) == 0 {
			out = append(out, int64(e.ID))
		}
	}
	if len(out) == 0 {
		out = append(out, int64(r.d.Entities[r.rng.IntN(len(r.d.Entities))].ID))
	}
	if r.rng.IntN(6) == 0 {
		out = append(out, missing)
	}
	return out
}

// ---- lists ----

// scopeParam is a filter naming scope-bearing ids: the gateway keeps the
// caller's values to the scope (docs/design.md §4), so the oracle does too.
type scopeParam struct {
	name   string
	set    func(oracle) map[int64]bool
	scalar bool
	pool   func(*leakRun) []int64
}

type listRoute struct {
	path   string
	field  string // the node field the scope covers
	in     func(oracle) map[int64]bool
	params []scopeParam
	others func(*leakRun) []string // the route's other filters, as k=v
}

var listRoutes = []listRoute{
	{"/accounts", "id", accountsOf, []scopeParam{{"entity", entitiesOf, false, entityIDs}}, accountFilters},
	{"/transactions", "account_id", accountsOf, []scopeParam{{"account", accountsOf, false, accountIDs}}, transactionFilters},
	{"/whitelists", "id", whitelistsOf, []scopeParam{{"account", accountsOf, false, accountIDs}}, statusOf(func(d ledgersim.Dataset) (s []string) {
		for _, x := range d.Whitelists {
			s = append(s, x.Status)
		}
		return s
	})},
	{"/entities", "id", entitiesOf, []scopeParam{{"account", accountsOf, false, accountIDs}, {"id", entitiesOf, true, entityIDs}}, statusOf(func(d ledgersim.Dataset) (s []string) {
		for _, x := range d.Entities {
			s = append(s, x.Status)
		}
		return s
	})},
	{"/digests", "account_id", accountsOf, []scopeParam{{"account", accountsOf, false, accountIDs}}, statusOf(func(d ledgersim.Dataset) (s []string) {
		for _, x := range d.Digests {
			s = append(s, x.Status)
		}
		return s
	})},
	{"/messages", "account_id", accountsOf, []scopeParam{{"account", accountsOf, false, accountIDs}}, statusOf(func(d ledgersim.Dataset) (s []string) {
		for _, x := range d.Messages {
			s = append(s, x.Status)
		}
		return s
	})},
	{"/users", "id", usersOf, []scopeParam{{"account", accountsOf, true, accountIDs}, {"group", groupsOf, true, groupIDs}, {"id", usersOf, true, userIDs}}, userFilters},
	{"/groups", "id", groupsOf, []scopeParam{{"members", usersOf, false, userIDs}, {"id", groupsOf, true, groupIDs}}, statusOf(func(d ledgersim.Dataset) (s []string) {
		for _, x := range d.Groups {
			s = append(s, x.Status)
		}
		return s
	})},
	{"/requests", "id", requestsOf, nil, requestFilters},
}

func accountsOf(o oracle) map[int64]bool   { return o.accounts }
func entitiesOf(o oracle) map[int64]bool   { return o.entities }
func usersOf(o oracle) map[int64]bool      { return o.users }
func groupsOf(o oracle) map[int64]bool     { return o.groups }
func whitelistsOf(o oracle) map[int64]bool { return o.whitelists }
func requestsOf(o oracle) map[int64]bool   { return o.requests }

// The id pools reach one past the data set: a missing object is drawn too.
func entityIDs(r *leakRun) []int64  { return upTo(len(r.d.Entities) + 1) }
func accountIDs(r *leakRun) []int64 { return upTo(len(r.d.Accounts) + 1) }
func userIDs(r *leakRun) []int64    { return upTo(len(r.d.Users) + 1) }
func groupIDs(r *leakRun) []int64   { return upTo(len(r.d.Groups) + 1) }

func upTo(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

func (r *leakRun) pick(xs []string) string { return xs[r.rng.IntN(len(xs))] }

func statusOf(values func(ledgersim.Dataset) []string) func(*leakRun) []string {
	return func(r *leakRun) []string {
		if r.rng.IntN(3) > 0 {
			return nil
		}
		return []string{"status=" + r.pick(values(r.d))}
	}
}

func accountFilters(r *leakRun) []string {
	var out []string
	a := r.d.Accounts[r.rng.IntN(len(r.d.Accounts))]
	switch r.rng.IntN(6) {
	case 0:
		out = append(out, "currency="+a.Currency)
	case 1:
		out = append(out, "account_type="+a.Type)
	case 2:
		out = append(out, "status="+a.Status)
	case 3:
		out = append(out, "user="+strconv.Itoa(1+r.rng.IntN(len(r.d.Users))))
	case 4:
		out = append(out, "parent="+strconv.Itoa(1+r.rng.IntN(len(r.d.Accounts))))
	}
	return out
}

func transactionFilters(r *leakRun) []string {
	var out []string
	tx := r.d.Transactions[r.rng.IntN(len(r.d.Transactions))]
	if r.rng.IntN(2) == 0 {
		out = append(out, "type="+tx.Type)
	}
	if r.rng.IntN(3) == 0 {
		out = append(out, "status="+tx.Status)
	}
	if r.rng.IntN(4) == 0 {
		out = append(out, "currency="+tx.Currency)
	}
	return out
}

func userFilters(r *leakRun) []string {
	u := r.d.Users[r.rng.IntN(len(r.d.Users))]
	switch r.rng.IntN(3) {
	case 0:
		return []string{"role=" + u.Role}
	case 1:
		return []string{"status=" + u.Status}
	}
	return nil
}

func requestFilters(r *leakRun) []string {
	var out []string
	q := r.d.Requests[r.rng.IntN(len(r.d.Requests))]
	if r.rng.IntN(2) == 0 {
		out = append(out, "target_type="+q.TargetType)
	}
	if r.rng.IntN(4) == 0 {
		out = append(out, "target_id="+strconv.Itoa(q.TargetID))
	}
	if r.rng.IntN(3) == 0 {
		out = append(out, "status="+q.Status)
	}
	if r.rng.IntN(4) == 0 && q.CreatedBy != nil {
		out = append(out, "created_by="+strconv.Itoa(*q.CreatedBy))
	}
	return out
}

// filters draws a query for lr: scope-bearing filters (values in and out
// of the scope, or none), the route's other filters, an order, a date.
func (r *leakRun) filters(lr listRoute) []string {
	var out []string
	for _, sp := range lr.params {
		if r.rng.IntN(2) == 0 {
			continue
		}
		pool := sp.pool(r)
		n := 1
		if !sp.scalar {
			n = 1 + r.rng.IntN(3)
		}
		seen := map[int64]bool{}
		for range n {
			id := pool[r.rng.IntN(len(pool))]
			if len(sp.set(r.o)) > 0 && r.rng.IntN(2) == 0 { // favour the scope
				ins := keys(sp.set(r.o))
				id = ins[r.rng.IntN(len(ins))]
			}
			if !seen[id] {
				seen[id] = true
				out = append(out, sp.name+"="+strconv.FormatInt(id, 10))
			}
		}
	}
	out = append(out, lr.others(r)...)
	if r.rng.IntN(2) == 0 {
		out = append(out, "order="+r.pick([]string{"asc", "desc"}))
	}
	if r.rng.IntN(3) == 0 {
		out = append(out, "order_by="+r.pick([]string{"id", "created_on"}))
	}
	if r.rng.IntN(5) == 0 {
		at := r.d.Transactions[r.rng.IntN(len(r.d.Transactions))].CreatedOn
		out = append(out, "created_after="+url.QueryEscape(at.UTC().Format(time.RFC3339)))
	}
	r.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

type listed struct{ id, scoped int64 }

// truth is what the list must hold: the honest simulator's answer to the
// filters, scope-bearing values kept to the scope, then the objects in
// scope, in the simulator's order.
func (r *leakRun) truth(lr listRoute, filters []string) []listed {
	var kept []string
	for _, sp := range lr.params {
		given, left := 0, 0
		for _, f := range filters {
			k, v, _ := strings.Cut(f, "=")
			if k != sp.name {
				continue
			}
			given++
			if id, _ := strconv.ParseInt(v, 10, 64); sp.set(r.o)[id] {
				left++
			}
		}
		if given > 0 && left == 0 {
			return nil // nothing the key may see can match
		}
	}
	for _, f := range filters {
		k, v, _ := strings.Cut(f, "=")
		drop := false
		for _, sp := range lr.params {
			if id, _ := strconv.ParseInt(v, 10, 64); k == sp.name && !sp.set(r.o)[id] {
				drop = true
			}
		}
		if !drop {
			kept = append(kept, f)
		}
	}
	status, body := r.upstream(lr.path + "?" + strings.Join(append(kept, "page_size=1000"), "&"))
	if status != http.StatusOK {
		r.t.Fatalf("honest %s?%s: %d %s", lr.path, strings.Join(kept, "&"), status, body)
	}
	p := decodePage(r.t, body, lr.field)
	if p.HasNext {
		r.t.Fatalf("honest %s has more than 1000 objects", lr.path)
	}
	var out []listed
	for _, n := range p.Nodes {
		if lr.in(r.o)[n.scoped] {
			out = append(out, n)
		}
	}
	return out
}

// walk pages through a list at the gateway and checks it against truth.
func (r *leakRun) walk(lr listRoute, filters []string) {
	r.t.Helper()
	want := r.truth(lr, filters)
	size := 1 + r.rng.IntN(10)
	size = max(size, len(want)/40+1)
	r.n.walks++
	var got []listed
	count, complete := -1, false
	maxPages := 60 // the page size is chosen for the truth to take at most 40
	if r.leaky {
		maxPages = 1000 // an ignored filter lengthens a list
	}
	for page := 1; page <= maxPages; page++ {
		q := strings.Join(append(slices.Clone(filters), "page="+strconv.Itoa(page), "page_size="+strconv.Itoa(size)), "&")
		target := lr.path + "?" + q
		r.w.sim.ResetRequests()
		a := r.send(target)
		r.n.pages++
		r.checkUpstream(lr, target)
		if r.leaky && a.status == http.StatusBadGateway {
			r.withheld(lr.path, target, a)
			return
		}
		if a.status != http.StatusOK {
			r.t.Errorf("%s: %d %s, want 200", target, a.status, a.body)
			return
		}
		p := decodePage(r.t, a.body, lr.field)
		for i, n := range p.Nodes {
			if !lr.in(r.o)[n.scoped] {
				r.t.Errorf("LEAK: %s serves a node with %s %d, outside the key's scope", target, lr.field, n.scoped)
			}
			if want := (page-1)*size + i; p.Cursors[i] != want {
				r.t.Errorf("%s: cursor %d, want %d", target, p.Cursors[i], want)
			}
		}
		got = append(got, p.Nodes...)
		if !r.leaky {
			r.checkPage(target, p, want, page, size)
		} else if lr.field == "id" && p.Count > len(lr.in(r.o)) {
			// The nodes are the scope set's own members: a larger count
			// tells how many objects outside the scope match.
			r.t.Errorf("LEAK: %s counts %d objects, more than the %d of the key's scope", target, p.Count, len(lr.in(r.o)))
		}
		if count >= 0 && p.Count != count {
			r.t.Errorf("%s: count %d, but %d on the page before", target, p.Count, count)
		}
		count = p.Count
		if !p.HasNext {
			complete = true
			break
		}
	}
	if !complete {
		r.t.Errorf("%s?%v: not at its end after %d pages", lr.path, filters, maxPages)
		return
	}
	r.checkWalk(lr, filters, got, count, want)
}

// checkPage: in normal mode each page is exactly its slice of the truth.
func (r *leakRun) checkPage(target string, p gotList, want []listed, page, size int) {
	from := min((page-1)*size, len(want))
	to := min(from+size, len(want))
	if p.Count != len(want) {
		r.t.Errorf("%s: count %d, want %d", target, p.Count, len(want))
	}
	if p.HasNext != (to < len(want)) {
		r.t.Errorf("%s: has_next_page %v, want %v", target, p.HasNext, to < len(want))
	}
	if !slices.Equal(ids(p.Nodes), ids(want[from:to])) {
		r.t.Errorf("%s: nodes %v, want %v", target, ids(p.Nodes), ids(want[from:to]))
	}
}

// checkWalk: a list paged to its end holds every in-scope object, each
// once, and counts what it holds.
func (r *leakRun) checkWalk(lr listRoute, filters []string, got []listed, count int, want []listed) {
	seen := map[int64]bool{}
	for _, n := range got {
		if seen[n.id] {
			r.t.Errorf("%s?%v: %d listed twice", lr.path, filters, n.id)
		}
		seen[n.id] = true
	}
	if count != len(got) {
		r.t.Errorf("%s?%v: count %d, but paging yields %d", lr.path, filters, count, len(got))
	}
	for _, n := range want {
		if !seen[n.id] {
			r.t.Errorf("%s?%v: in-scope %d is missing from a list presented as complete", lr.path, filters, n.id)
		}
	}
}

// checkUpstream: what reached the upstream for a list never names an id
// outside the scope in a scope-bearing filter. (Scope resolution reads
// /accounts?entity= for other keys too, so /accounts is left out.)
func (r *leakRun) checkUpstream(lr listRoute, target string) {
	if lr.path == "/accounts" {
		return
	}
	for _, rec := range r.w.sim.Requests() {
		if rec.Path != lr.path {
			continue
		}
		q, _ := url.ParseQuery(rec.RawQuery)
		for _, sp := range lr.params {
			for _, v := range q[sp.name] {
				if id, _ := strconv.ParseInt(v, 10, 64); !sp.set(r.o)[id] {
					r.t.Errorf("%s: the upstream was asked %s, naming %s %d outside the scope", target, rec.RequestURI, sp.name, id)
				}
			}
		}
	}
}

// ---- objects ----

type objectRoute struct {
	template string // the table's template; {…} are filled in order
	pool     func(*leakRun) []int64
	in       func(oracle) map[int64]bool
	second   func(r *leakRun, id int64) string
	owner    bool // Owner strategy: the object itself is read to decide
	list     bool // a list of sub-resources leaky mode changes
	paged    bool // it takes page and page_size
	// query draws a query the route requires (nil: none).
	query func(r *leakRun) string
}

var objectRoutes = func() []objectRoute {
	acct := func(tmpl string, extra ...func(*objectRoute)) objectRoute {
		o := objectRoute{template: tmpl, pool: accountIDs, in: accountsOf}
		for _, e := range extra {
			e(&o)
		}
		return o
	}
	list := func(o *objectRoute) { o.list = true }
	paged := func(o *objectRoute) { o.list, o.paged = true, true }
	index := func(o *objectRoute) {
		o.second = func(r *leakRun, _ int64) string { return strconv.Itoa(r.rng.IntN(3)) }
	}
	// Regression (found by the contract test, issue 17): the route was
	// read without its required type, so the upstream answered 400 and the
	// route's answers were never compared.
	addressType := func(o *objectRoute) {
		o.query = func(r *leakRun) string { return "type=" + r.pick([]string{"change", "receive"}) }
	}
	family := func(f string) func(*objectRoute) {
		return func(o *objectRoute) { o.pool = func(r *leakRun) []int64 { return r.familyAccounts(f) } }
	}
	uid := func(f string) func(*objectRoute) {
		return func(o *objectRoute) { o.second = func(r *leakRun, id int64) string { return r.stakeUID(f, id) } }
	}
	owned := func(tmpl string, pool func(*leakRun) []int64, in func(oracle) map[int64]bool) objectRoute {
		return objectRoute{template: tmpl, pool: pool, in: in, owner: true}
	}
	byID := func(tmpl string, pool func(*leakRun) []int64, in func(oracle) map[int64]bool) objectRoute {
		return objectRoute{template: tmpl, pool: pool, in: in}
	}
	txs := func(r *leakRun) []int64 { return upTo(len(r.d.Transactions) + 1) }
	digests := func(r *leakRun) []int64 { return upTo(len(r.d.Digests) + 1) }
	messages := func(r *leakRun) []int64 { return upTo(len(r.d.Messages) + 1) }
	requests := func(r *leakRun) []int64 { return upTo(len(r.d.Requests) + 1) }
	whitelists := func(r *leakRun) []int64 { return upTo(len(r.d.Whitelists) + 1) }
	transactionsOf := func(o oracle) map[int64]bool { return o.transactions }
	digestsOf := func(o oracle) map[int64]bool { return o.digests }
	messagesOf := func(o oracle) map[int64]bool { return o.messages }
	return []objectRoute{
		acct("/accounts/{account_id}"),
		acct("/accounts/{account_id}/address"),
		acct("/accounts/{account_id}/address/{index}", index, addressType),
		acct("/accounts/{account_id}/addresses"),
		acct("/accounts/{account_id}/addresses/{index}", index),
		acct("/accounts/{account_id}/balances"),
		acct("/accounts/{account_id}/balances/history"),
		acct("/accounts/{account_id}/currency"),
		acct("/accounts/{account_id}/history"),
		acct("/accounts/{account_id}/labels"),
		acct("/accounts/{account_id}/nft-collections", paged, family("ethereum")),
		acct("/accounts/{account_id}/nft-portfolio"),
		acct("/accounts/{account_id}/nfts", paged, family("ethereum")),
		acct("/accounts/{account_id}/tokens"),
		acct("/accounts/{parent_account_id}/erc20-children-accounts", paged, family("ethereum")),
		acct("/cardano/accounts/{account_id}/periodic-rewards", family("cardano")),
		acct("/cardano/accounts/{account_id}/rewards", family("cardano")),
		acct("/cardano/accounts/{account_id}/stakes", paged, family("cardano")),
		acct("/cardano/accounts/{account_id}/stakes/{stake_uid}/rewards", family("cardano"), uid("cardano")),
		acct("/ethereum/accounts/{account_id}/rewards", family("ethereum")),
		acct("/ethereum/accounts/{account_id}/stakes", list, family("ethereum")),
		acct("/ethereum/accounts/{account_id}/stakes/{stake_uid}/rewards", family("ethereum"), uid("ethereum")),
		acct("/solana/accounts/{account_id}/periodic-rewards", family("solana")),
		acct("/solana/accounts/{account_id}/rewards", family("solana")),
		acct("/solana/accounts/{account_id}/stakes", paged, family("solana")),
		acct("/solana/accounts/{account_id}/stakes/{stake_uid}/rewards", family("solana"), uid("solana")),
		acct("/tezos/accounts/{account_id}/rewards", family("tezos")),
		acct("/tezos/accounts/{account_id}/stakes", paged, family("tezos")),
		owned("/transactions/{transaction_id}", txs, transactionsOf),
		owned("/transactions/{transaction_id}/history", txs, transactionsOf),
		owned("/transactions/{transaction_id}/labels", txs, transactionsOf),
		owned("/digests/{digests_id}", digests, digestsOf),
		owned("/digests/{digests_id}/history", digests, digestsOf),
		owned("/messages/{message_id}", messages, messagesOf),
		owned("/messages/{message_id}/history", messages, messagesOf),
		owned("/requests/{request_id}", requests, requestsOf),
		owned("/requests/{request_id}/governance-status", requests, requestsOf),
		byID("/entities/{entity_id}", entityIDs, entitiesOf),
		byID("/entities/{entity_id}/history", entityIDs, entitiesOf),
		byID("/entities/{entity_id}/users", entityIDs, entitiesOf),
		byID("/groups/{group_id}", groupIDs, groupsOf),
		byID("/groups/{group_id}/history", groupIDs, groupsOf),
		byID("/users/{user_id}", userIDs, usersOf),
		byID("/users/{user_id}/history", userIDs, usersOf),
		byID("/whitelists/{whitelist_id}", whitelists, whitelistsOf),
		byID("/whitelists/{whitelist_id}/history", whitelists, whitelistsOf),
	}
}()

// familyAccounts are the top-level accounts of a staking family, and a
// few others, so that both kinds of id are drawn.
func (r *leakRun) familyAccounts(family string) []int64 {
	var out []int64
	for _, a := range r.d.Accounts {
		if strings.EqualFold(a.Type, family) && a.Parent == nil {
			out = append(out, int64(a.ID), int64(a.ID)) // twice: favoured
		}
	}
	return append(out, accountIDs(r)[:5]...)
}

// stakeUID is a stake of the account, from the honest simulator ("none"
// when it has none).
func (r *leakRun) stakeUID(family string, account int64) string {
	status, body := r.upstream(sprintf("/%s/accounts/%d/stakes", family, account))
	if status != http.StatusOK {
		return "none"
	}
	var uids []string
	if family == "ethereum" {
		var items []struct{ UID string }
		_ = json.Unmarshal(body, &items)
		for _, x := range items {
			uids = append(uids, x.UID)
		}
	} else {
		var p struct {
			Edges []struct {
				Node struct {
					StakeUID string `json:"stake_uid"`
				}
			}
		}
		_ = json.Unmarshal(body, &p)
		for _, e := range p.Edges {
			uids = append(uids, e.Node.StakeUID)
		}
	}
	if len(uids) == 0 {
		return "none"
	}
	return uids[r.rng.IntN(len(uids))]
}

// ids draws ids for a route, in and out of the scope.
func (r *leakRun) ids(dr objectRoute) []int64 {
	pool := dr.pool(r)
	var ins []int64 // the pool's ids in scope, else any in scope
	for _, id := range pool {
		if dr.in(r.o)[id] {
			ins = append(ins, id)
		}
	}
	if len(ins) == 0 {
		ins = keys(dr.in(r.o))
	}
	var out []int64
	for range r.size.ids {
		id := pool[r.rng.IntN(len(pool))]
		if len(ins) > 0 && r.rng.IntN(2) == 0 {
			id = ins[r.rng.IntN(len(ins))]
		}
		out = append(out, id)
	}
	return out
}

func fill(template string, args ...string) string {
	for _, a := range args {
		i, j := strings.IndexByte(template, '{'), strings.IndexByte(template, '}')
		template = template[:i] + a + template[j+1:]
	}
	return template
}

// object reads one object (or sub-resource) at the gateway: outside the
// scope it is a 404 that never reached the upstream by its path; inside,
// exactly the honest simulator's answer.
func (r *leakRun) object(dr objectRoute, id int64) {
	r.t.Helper()
	args := []string{strconv.FormatInt(id, 10)}
	if dr.second != nil {
		args = append(args, dr.second(r, id))
	}
	target := fill(dr.template, args...)
	switch {
	case dr.query != nil:
		target += "?" + dr.query(r)
	case dr.paged && r.rng.IntN(2) == 0:
		target += sprintf("?page=%d&page_size=%d", 1+r.rng.IntN(2), 1+r.rng.IntN(4))
	}
	r.w.sim.ResetRequests()
	a := r.send(target)
	if !dr.in(r.o)[id] {
		if a.status != http.StatusNotFound {
			r.t.Errorf("LEAK: %s (outside the scope): %d %.200s, want 404", target, a.status, a.body)
		}
		// An owner rule reads the object itself to decide, and serves
		// nothing of it; nothing else of it may reach the upstream.
		lookup := dr.owner && strings.Count(dr.template, "/") == 2
		for _, rec := range r.w.sim.Requests() {
			if rec.Path == strings.SplitN(target, "?", 2)[0] && !lookup {
				r.t.Errorf("%s (outside the scope) reached the upstream", target)
			}
		}
		r.n.notFound++
		return
	}
	status, body := r.upstream(target)
	if r.leaky && dr.list && a.status == http.StatusBadGateway {
		r.withheld(dr.template, target, a)
		return
	}
	if status == http.StatusNotFound {
		r.n.notFound++
	}
	if a.status != status {
		r.t.Errorf("%s: %d %.200s, want the upstream's %d %.200s", target, a.status, a.body, status, body)
		return
	}
	if status != http.StatusOK {
		return
	}
	if r.leaky && dr.list {
		r.ownItems(dr, target, a.body)
		return
	}
	if !bytes.Equal(a.body, body) {
		r.t.Errorf("%s: body differs from the upstream's:\n got %.300s\nwant %.300s", target, a.body, body)
	}
}

// ownItems: in leaky mode, a sub-resource list that passed holds only the
// parent's own items (the honest simulator's, all pages). Its count is the
// upstream's: see docs/guarantees.md, Limits.
func (r *leakRun) ownItems(dr objectRoute, target string, body []byte) {
	base := strings.SplitN(target, "?", 2)[0]
	if dr.paged {
		base += "?page_size=1000"
	}
	_, honest := r.upstream(base)
	own := map[string]bool{}
	for _, item := range listItems(r.t, honest) {
		own[string(item)] = true
	}
	for _, item := range listItems(r.t, body) {
		if !own[string(item)] {
			r.t.Errorf("LEAK: %s serves %.200s, which is not the parent's", target, item)
		}
	}
}

// listItems returns the nodes of a page, or the items of an array, as JSON.
func listItems(t *testing.T, body []byte) []json.RawMessage {
	t.Helper()
	var items []json.RawMessage
	if json.Unmarshal(body, &items) == nil {
		return items
	}
	var p struct {
		Edges []struct {
			Node json.RawMessage `json:"node"`
		} `json:"edges"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("neither an array nor a page: %.200s", body)
	}
	for _, e := range p.Edges {
		items = append(items, e.Node)
	}
	return items
}

// withheld checks a 502: the Error shape, and a log line naming the route
// and the key.
func (r *leakRun) withheld(route, target string, a answer) {
	r.n.withheld++
	var e struct {
		Message    string `json:"message"`
		Name       string `json:"name"`
		StatusCode int    `json:"status_code"`
	}
	if err := json.Unmarshal(a.body, &e); err != nil || e.StatusCode != 502 || e.Name != "BadGateway" || e.Message == "" {
		r.t.Errorf("%s: 502 body %s is not the Error shape", target, a.body)
	}
	logs := r.w.logs.String()
	fresh := logs[r.logAt:]
	r.logAt = len(logs)
	for _, line := range strings.Split(fresh, "\n") {
		if (strings.Contains(line, `"msg":"scope violation withheld"`) || strings.Contains(line, `"msg":"unverifiable upstream body withheld"`)) &&
			strings.Contains(line, `"route":"`+route+`"`) && strings.Contains(line, `"key_id":"`+r.key.ID+`"`) {
			return
		}
	}
	r.t.Errorf("%s: withheld without a log line naming route %s and key %s", target, route, r.key.ID)
}

// ---- plumbing ----

func (r *leakRun) send(target string) answer {
	r.n.requests++
	return get(r.t, r.g, r.secret, target)
}

// upstream asks the honest simulator, with the operator's credentials.
func (r *leakRun) upstream(target string) (int, []byte) {
	req, err := http.NewRequest(http.MethodGet, r.honest.URL()+target, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set(ledgersim.HeaderAPIUser, ledgersim.DefaultAPIUser)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, body
}

type gotList struct {
	Nodes   []listed
	Cursors []int
	Count   int
	HasNext bool
}

func decodePage(t *testing.T, body []byte, field string) gotList {
	t.Helper()
	var raw struct {
		Edges []struct {
			Cursor int                        `json:"cursor"`
			Node   map[string]json.RawMessage `json:"node"`
		} `json:"edges"`
		PageInfo *struct {
			Count       *int  `json:"count"`
			HasNextPage *bool `json:"has_next_page"`
		} `json:"page_info"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || raw.PageInfo == nil || raw.PageInfo.Count == nil || raw.PageInfo.HasNextPage == nil {
		t.Fatalf("not a page (%v): %.300s", err, body)
	}
	p := gotList{Count: *raw.PageInfo.Count, HasNext: *raw.PageInfo.HasNextPage}
	for _, e := range raw.Edges {
		var n listed
		if json.Unmarshal(e.Node["id"], &n.id) != nil || json.Unmarshal(e.Node[field], &n.scoped) != nil {
			t.Fatalf("node without integer id and %s: %s", field, body)
		}
		p.Nodes = append(p.Nodes, n)
		p.Cursors = append(p.Cursors, e.Cursor)
	}
	return p
}

func ids(ns []listed) []int64 {
	out := make([]int64, len(ns))
	for i, n := range ns {
		out[i] = n.id
	}
	return out
}

// TestNothingLeaksCoversEveryRoute: the property test reads every route a
// reporting key may call through the policy (inject, path, owner,
// scoped-list).
func TestNothingLeaksCoversEveryRoute(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, lr := range listRoutes {
		covered[lr.path] = true
	}
	for _, dr := range objectRoutes {
		covered[dr.template] = true
	}
	for _, r := range policy.Table() {
		switch r.Strategy {
		case policy.Inject, policy.Path, policy.Owner, policy.ScopedList:
			if !covered[r.Path] {
				t.Errorf("%s %s (%v) is not exercised by TestNothingLeaks", r.Method, r.Path, r.Strategy)
			}
		}
	}
	if len(covered) != len(listRoutes)+len(objectRoutes) {
		t.Errorf("a route is listed twice")
	}
}
