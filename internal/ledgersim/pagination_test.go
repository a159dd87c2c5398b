package ledgersim_test

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"reportgate/internal/ledgersim"
)

// newestFirst orders transactions by created_on then id, both descending.
func newestFirst(xs []ledgersim.Transaction) []int {
	xs = slices.Clone(xs)
	slices.SortFunc(xs, func(a, b ledgersim.Transaction) int {
		if c := b.CreatedOn.Compare(a.CreatedOn); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return where(xs, txID, func(ledgersim.Transaction) bool { return true })
}

func TestPaginationBoundaries(t *testing.T) {
	t.Parallel()
	s := start(t)
	all := newestFirst(s.Dataset().Transactions)
	n := len(all)
	for _, size := range []int{1, 7, 20, n - 1, n, n + 1} {
		t.Run(fmt.Sprintf("page_size=%d", size), func(t *testing.T) {
			t.Parallel()
			var got []int
			for pg := 1; ; pg++ {
				var p page
				getJSON(t, s, fmt.Sprintf("/transactions?page=%d&page_size=%d", pg, size), &p)
				first := (pg - 1) * size
				wantLen := min(size, n-first)
				if p.PageInfo.Count != n || len(p.Edges) != wantLen || p.PageInfo.HasNextPage != (pg*size < n) {
					t.Fatalf("page %d: count %d, %d edges, has_next %v; want %d, %d, %v",
						pg, p.PageInfo.Count, len(p.Edges), p.PageInfo.HasNextPage, n, wantLen, pg*size < n)
				}
				for i, e := range p.Edges {
					if e.Cursor != first+i {
						t.Fatalf("page %d edge %d: cursor %d, want %d", pg, i, e.Cursor, first+i)
					}
				}
				got = append(got, p.ids(t)...)
				if !p.PageInfo.HasNextPage {
					break
				}
			}
			if !slices.Equal(got, all) {
				t.Fatalf("pages concatenated: %d ids, not the newest-first order of the %d transactions", len(got), n)
			}
		})
	}
}

func TestPageSizeSpecialValues(t *testing.T) {
	t.Parallel()
	s := start(t, func(c *ledgersim.Config) { c.MaxPageSize = 50 })
	tests := []struct {
		query     string
		wantEdges int
		wantNext  bool
	}{
		{"", 20, true},
		{"page_size=0", 50, true},
		{"page_size=-1", 50, true},
		{"page_size=50", 50, true},
		{"page=8&page_size=50", 50, false},
		{"page=9&page_size=50", 0, false},
		{"page=1000000000000&page_size=50", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			var p page
			getJSON(t, s, "/transactions?"+tt.query, &p)
			if len(p.Edges) != tt.wantEdges || p.PageInfo.HasNextPage != tt.wantNext || p.PageInfo.Count != 400 {
				t.Fatalf("got %d edges, has_next %v, count %d; want %d, %v, 400", len(p.Edges), p.PageInfo.HasNextPage, p.PageInfo.Count, tt.wantEdges, tt.wantNext)
			}
		})
	}
	status, body := do(t, s, http.MethodGet, "/transactions?page_size=51", nil)
	if e := decodeError(t, body); status != 400 || !strings.Contains(e.Message, `"page_size" must be at most 50`) {
		t.Fatalf("page_size above the maximum: %d %+v, want 400 naming the maximum", status, e)
	}
}

func TestOrder(t *testing.T) {
	t.Parallel()
	s := start(t)
	d := s.Dataset()
	byName := slices.Clone(d.Accounts)
	slices.SortFunc(byName, func(a, b ledgersim.Account) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	names := where(byName, accountID, func(ledgersim.Account) bool { return true })
	byUsername := slices.Clone(d.Users)
	slices.SortFunc(byUsername, func(a, b ledgersim.User) int {
		return cmp.Or(strings.Compare(b.Username, a.Username), cmp.Compare(b.ID, a.ID))
	})
	usernamesDesc := where(byUsername, userID, func(ledgersim.User) bool { return true })
	desc := newestFirst(d.Transactions)
	asc := slices.Clone(desc)
	slices.Reverse(asc)
	ids := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out
	}
	tests := []struct {
		path string
		want []int
	}{
		{"/transactions", desc},
		{"/transactions?order=desc&order_by=created_on", desc},
		{"/transactions?order=asc", asc},
		{"/transactions?order_by=id&order=asc", ids(len(d.Transactions))},
		{"/accounts?order_by=name&order=asc", names},
		{"/users?order_by=username&order=desc", usernamesDesc},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			got := listIDs(t, s, tt.path)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("GET %s: ids %v…, want %v…", tt.path, got[:min(5, len(got))], tt.want[:min(5, len(tt.want))])
			}
		})
	}
	for _, path := range []string{"/transactions?order_by=name", "/accounts?order_by=balance", "/users?order_by=name"} {
		status, body := do(t, s, http.MethodGet, path, nil)
		if e := decodeError(t, body); status != 400 || !strings.Contains(e.Message, `"order_by" must be one of`) {
			t.Errorf("GET %s = %d %+v, want 400 listing the order_by values", path, status, e)
		}
	}
}

// TestNewestFirstBreaksTiesByID: accounts are created in pairs at the same
// instant, so the order relies on the id tie-break.
func TestNewestFirstBreaksTiesByID(t *testing.T) {
	t.Parallel()
	s := start(t)
	d := s.Dataset()
	if !d.Accounts[0].CreatedOn.Equal(d.Accounts[1].CreatedOn) {
		t.Fatal("accounts 1 and 2 should share created_on for this test")
	}
	got := listIDs(t, s, "/accounts?id=1&order=desc")
	if len(got) != 1 {
		t.Fatalf("id=1 filter: got %v", got)
	}
	all := listIDs(t, s, "/accounts")
	if i, j := slices.Index(all, 2), slices.Index(all, 1); i > j {
		t.Fatalf("newest first: account 2 at %d after account 1 at %d, want before", i, j)
	}
}
