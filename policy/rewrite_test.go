package policy

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
	"time"
)

// rewriteScope covers entities 1-2, accounts 10-12, users 100-101, group 7,
// whitelist 50, with its inject filters prepared as the resolver does.
func rewriteScope() *Scope {
	s := NewScope([]int64{1, 2}, []int64{10, 11, 12}, []int64{100, 101}, []int64{7}, []int64{50}, time.Unix(1, 0))
	s.prepareFilters(Table())
	return s
}

func TestInject(t *testing.T) {
	t.Parallel()
	s := rewriteScope()
	empty := NewScope([]int64{9}, nil, nil, nil, nil, time.Unix(1, 0))
	empty.prepareFilters(Table())
	tests := []struct {
		name, path, raw string
		scope           *Scope
		want            string
		empty           bool
	}{
		{"scope injected", "/transactions", "type=SEND&page=2", s, "type=SEND&page=2&account=10&account=11&account=12", false},
		{"nothing given", "/accounts", "", s, "entity=1&entity=2", false},
		{"intersected", "/transactions", "account=11&type=SEND&account=99", s, "type=SEND&account=11", false},
		{"no value left", "/transactions", "account=98&account=99", s, "", true},
		{"empty scope", "/digests", "status=SIGNED", empty, "", true},
		{"other filters untouched", "/whitelists", "name=a%20b&created_after=2020-09-12T14%3A15%3A22Z", s,
			"name=a%20b&created_after=2020-09-12T14%3A15%3A22Z&account=10&account=11&account=12", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			qs := querySpec(t, "GET", tt.path)
			var q Query
			if err := qs.Parse([]byte(tt.raw), &q); err != nil {
				t.Fatal(err)
			}
			out, empty := qs.Inject(nil, &q, tt.scope)
			if empty != tt.empty || (!empty && string(out) != tt.want) {
				t.Errorf("Inject(%q) = %q, empty %v; want %q, empty %v", tt.raw, out, empty, tt.want, tt.empty)
			}
		})
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	s := rewriteScope()
	tests := []struct {
		name, path, raw string
		want            string
		page, size      int64
		empty           bool
	}{
		{"paging taken out", "/users", "role=ADMIN&page=3&page_size=7", "role=ADMIN", 3, 7, false},
		{"defaults", "/groups", "", "", 1, DefaultPageSize, false},
		{"account in scope", "/users", "account=11", "account=11", 1, DefaultPageSize, false},
		// Regression: /users?account=X passed X upstream, so the list told
		// which of the key's users govern an account outside its scope.
		{"account out of scope", "/users", "account=99&role=OPERATOR", "", 1, DefaultPageSize, true},
		{"group out of scope", "/users", "group=8", "", 1, DefaultPageSize, true},
		{"id out of scope", "/users", "id=102", "", 1, DefaultPageSize, true},
		{"members intersected", "/groups", "members=100&members=555", "members=100", 1, DefaultPageSize, false},
		{"members none in scope", "/groups", "members=555", "", 1, DefaultPageSize, true},
		{"entity account kept", "/entities", "account=10&name=x", "account=10&name=x", 1, DefaultPageSize, false},
		{"entity id out of scope", "/entities", "id=3", "", 1, DefaultPageSize, true},
		{"requests unbounded", "/requests", "target_id=99&target_type=ACCOUNT", "target_id=99&target_type=ACCOUNT", 1, DefaultPageSize, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			qs := querySpec(t, "GET", tt.path)
			var q Query
			if err := qs.Parse([]byte(tt.raw), &q); err != nil {
				t.Fatal(err)
			}
			out, page, size, empty := qs.ListFilters(nil, &q, s)
			if empty != tt.empty || (!empty && (string(out) != tt.want || page != tt.page || size != tt.size)) {
				t.Errorf("ListFilters(%q) = %q, page %d, size %d, empty %v; want %q, %d, %d, %v",
					tt.raw, out, page, size, empty, tt.want, tt.page, tt.size, tt.empty)
			}
		})
	}
}

// FuzzQueryRewrite parses a query for every inject and scoped-list
// operation and checks what the gateway would send upstream: Parse accepts
// a query only as the exact concatenation of the pairs it checked; the
// rewrite keeps the caller's other pairs byte for byte and in order, adds
// only scope filter values that are in the scope (the caller's, or the
// whole scope when none was given), drops Bound values out of scope, and
// its output parses again. scopeBits picks which of ids 1-16 each scope
// set holds.
func FuzzQueryRewrite(f *testing.F) {
	for _, seed := range []string{
		"", "account=1&account=3&type=SEND", "entity=1&entity=2&page=2&page_size=5", "entity=1,2", "entity[]=1",
		"account=1&account=1", "entity=", "page_size=-1", "name=a%2Fb&status=ACTIVE", "members=3&members=16",
		"account=2&role=ADMIN", "id=5&order=asc&order_by=name", "target_type=ACCOUNT&target_id=4", "entity=1;entity=2",
		"created_after=2020-09-12T14%3A15%3A22Z", "name=%252e", "id=01", "group=3&account=4",
	} {
		for route := range uint8(9) {
			f.Add(route, []byte(seed), uint64(0x5555_aaaa_ffff_0f0f))
		}
	}
	rt := newTestRouter(f)
	var eps []*Endpoint
	for _, ep := range rt.Endpoints() {
		if r, _ := ep.Rule([]byte("GET")); r != nil && (r.Strategy == Inject || r.Strategy == ScopedList) {
			eps = append(eps, ep)
		}
	}
	rules := Table()
	f.Fuzz(func(t *testing.T, route uint8, raw []byte, scopeBits uint64) {
		ep := eps[int(route)%len(eps)]
		rule, qs := ep.Rule([]byte("GET"))
		s := fuzzScope(scopeBits, rules)
		var q Query
		if qs.Parse(raw, &q) != nil {
			return
		}
		pairs := q.Pairs()
		if got := joinPairs(pairs); got != string(raw) {
			t.Fatalf("%s: Parse(%q) accepted pairs %q: the upstream would not see what was checked", ep.Template, raw, got)
		}
		var out []byte
		var empty bool
		if rule.Strategy == Inject {
			out, empty = qs.Inject(nil, &q, s)
		} else {
			out, _, _, empty = qs.ListFilters(nil, &q, s)
		}
		checkRewrite(t, ep.Template, rule, qs, s, pairs, out, empty)
	})
}

func fuzzScope(bits uint64, rules []Rule) *Scope {
	var sets [5][]int64
	for i := range sets {
		for id := int64(1); id <= 16; id++ {
			if bits>>((13*i+int(id))%64)&1 == 1 {
				sets[i] = append(sets[i], id)
			}
		}
	}
	s := NewScope(sets[0], sets[1], sets[2], sets[3], sets[4], time.Unix(1, 0))
	s.prepareFilters(rules)
	return s
}

func joinPairs(pairs []Pair) string {
	var b []byte
	for _, p := range pairs {
		b = appendPair(b, p.Key, p.Value)
	}
	return string(b)
}

// checkRewrite is FuzzQueryRewrite's oracle, written apart from the code
// it checks.
func checkRewrite(t *testing.T, route string, rule *Rule, qs *QuerySpec, s *Scope, in []Pair, out []byte, empty bool) {
	t.Helper()
	bounds := map[string]Set{}
	for _, b := range rule.Bounds {
		bounds[b.Param] = b.Set
	}
	var want [][]byte // the caller's pairs the rewrite must keep, in order
	var given []int64 // the caller's scope filter values
	boundGiven, boundKept := map[string]bool{}, map[string]bool{}
	for _, p := range in {
		key := string(p.Key)
		switch {
		case rule.Strategy == Inject && key == rule.Filter:
			given = append(given, p.Int)
			continue
		case rule.Strategy == ScopedList && (key == "page" || key == "page_size"):
			continue
		}
		if set, ok := bounds[key]; ok {
			boundGiven[key] = true
			if !s.Has(set, p.Int) {
				continue
			}
			boundKept[key] = true
		}
		want = append(want, appendPair(nil, p.Key, p.Value))
	}
	boundEmpty := len(boundGiven) != len(boundKept)
	var filter []int64 // the filter values the upstream must get
	if rule.Strategy == Inject {
		set := s.Set(rule.FilterSet)
		if len(given) == 0 {
			filter = set
		}
		for _, id := range given {
			if set.Has(id) {
				filter = append(filter, id)
			}
		}
	}
	wantEmpty := boundEmpty || (rule.Strategy == Inject && len(filter) == 0)
	if empty != wantEmpty {
		t.Fatalf("%s: empty = %v, want %v (out %q)", route, empty, wantEmpty, out)
	}
	if empty {
		return
	}
	var got [][]byte
	if len(out) > 0 {
		got = bytes.Split(out, []byte("&"))
	}
	if len(got) < len(want) {
		t.Fatalf("%s: rewrite %q lost pairs of %q", route, out, want)
	}
	for i, w := range want {
		if !bytes.Equal(got[i], w) {
			t.Fatalf("%s: rewrite %q: pair %d is %q, want the caller's %q", route, out, i, got[i], w)
		}
	}
	var added []int64
	for _, p := range got[len(want):] {
		k, v, _ := bytes.Cut(p, []byte("="))
		if string(k) != rule.Filter {
			t.Fatalf("%s: rewrite %q adds %q, which is not the scope filter", route, out, p)
		}
		id, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || !s.Has(rule.FilterSet, id) {
			t.Fatalf("%s: rewrite %q injects %q, outside the key's %s", route, out, p, rule.FilterSet)
		}
		added = append(added, id)
	}
	if !slices.Equal(added, filter) {
		t.Fatalf("%s: rewrite %q sends filter values %v, want %v", route, out, added, filter)
	}
	var again Query
	if err := qs.Parse(out, &again); err != nil {
		t.Fatalf("%s: the upstream would be sent %q, which the gateway itself refuses: %v", route, out, err)
	}
}
