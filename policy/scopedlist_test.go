package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// listUpstream serves one list, newest first, in the upstream's envelope,
// and counts the pages it served. before runs ahead of each page (under
// the lock), so a test can change the list between two reads.
type listUpstream struct {
	mu     sync.Mutex
	ids    []int64 // newest first
	pages  int
	before func(u *listUpstream, page int)
	// emptyAfter answers an empty page that still announces a next one
	// from that page on (0: never).
	emptyAfter int
}

func (u *listUpstream) Fetch(_ context.Context, p string) (int, []byte, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	q, err := url.ParseQuery(p[strings.IndexByte(p, '?')+1:])
	if err != nil {
		return 0, nil, err
	}
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get("page_size"))
	u.pages++
	if u.before != nil {
		u.before(u, page)
	}
	if u.emptyAfter > 0 && page >= u.emptyAfter {
		return 200, []byte(`{"edges":[],"page_info":{"count":99,"has_next_page":true}}`), nil
	}
	from := min((page-1)*size, len(u.ids))
	to := min(from+size, len(u.ids))
	var b strings.Builder
	b.WriteString(`{"edges":[`)
	for i := from; i < to; i++ {
		if i > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"cursor":%d,"node":{"id":%d,"username":"u%d"}}`, i, u.ids[i], u.ids[i])
	}
	fmt.Fprintf(&b, `],"page_info":{"count":%d,"has_next_page":%t}}`, len(u.ids), to < len(u.ids))
	return 200, []byte(b.String()), nil
}

func (u *listUpstream) served() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.pages
}

func newestFirst(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(n - i)
	}
	return ids
}

type gotPage struct {
	Edges []struct {
		Cursor int64 `json:"cursor"`
		Node   struct {
			ID int64 `json:"id"`
		} `json:"node"`
	} `json:"edges"`
	PageInfo struct {
		Count       int64 `json:"count"`
		HasNextPage bool  `json:"has_next_page"`
	} `json:"page_info"`
}

func listPage(t *testing.T, l *Lister, s *Scope, page, size int64) gotPage {
	t.Helper()
	body, err := l.Page(context.Background(), ListRequest{Path: "/users", KeyID: "k1", Page: page, Size: size,
		Check: nodes("id", Users), Scope: s})
	if err != nil {
		t.Fatalf("Page(%d, %d) = %v", page, size, err)
	}
	var p gotPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("page %d is not the envelope: %v: %s", page, err, body)
	}
	return p
}

// usersScope covers the even users up to 20: 10 of the upstream's 25.
func usersScope() *Scope {
	var users []int64
	for id := int64(2); id <= 20; id += 2 {
		users = append(users, id)
	}
	return NewScope(nil, nil, users, nil, nil, time.Unix(1, 0))
}

func TestListerPageInfoIsHonest(t *testing.T) {
	t.Parallel()
	up := &listUpstream{ids: newestFirst(25)}
	l, err := NewLister(up, nil, ListerOptions{ScanPageSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	s := usersScope()
	want := []int64{20, 18, 16, 14, 12, 10, 8, 6, 4, 2} // upstream order, in scope only
	var got []int64
	for page := int64(1); page <= 4; page++ {
		p := listPage(t, l, s, page, 3)
		if p.PageInfo.Count != 10 {
			t.Errorf("page %d: count = %d, want 10 (in-scope objects, not the upstream's 25)", page, p.PageInfo.Count)
		}
		if wantNext := page < 4; p.PageInfo.HasNextPage != wantNext {
			t.Errorf("page %d: has_next_page = %v, want %v", page, p.PageInfo.HasNextPage, wantNext)
		}
		for i, e := range p.Edges {
			if wantCursor := (page-1)*3 + int64(i); e.Cursor != wantCursor {
				t.Errorf("page %d: cursor %d, want %d", page, e.Cursor, wantCursor)
			}
			got = append(got, e.Node.ID)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("paging through = %v, want %v", got, want)
	}
	if p := listPage(t, l, s, 5, 3); len(p.Edges) != 0 || p.PageInfo.HasNextPage || p.PageInfo.Count != 10 {
		t.Errorf("page past the end = %+v, want empty, count 10, no next page", p)
	}
	// 25 objects in pages of 7: one scan of 4 upstream pages served all five.
	if n := up.served(); n != 4 {
		t.Errorf("upstream served %d pages, want 4 (one scan, reused)", n)
	}
}

// Regression: (page-1)*page_size overflowed int64 for a huge page, the
// negative offset indexed the list and the panic took the gateway down
// (fasthttp does not recover handler panics).
func TestListerHugePageIsEmptyNotPanic(t *testing.T) {
	t.Parallel()
	l, err := NewLister(&listUpstream{ids: newestFirst(25)}, nil, ListerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range []int64{100_000_000_000_000_000, 999_999_999_999_999_999, 1 << 62} {
		p := listPage(t, l, usersScope(), page, 500)
		if len(p.Edges) != 0 || p.PageInfo.HasNextPage || p.PageInfo.Count != 10 {
			t.Errorf("page %d = %+v, want an empty last page with count 10", page, p)
		}
	}
	if _, err := l.Page(context.Background(), ListRequest{Path: "/users", Page: 0, Size: 10, Check: nodes("id", Users), Scope: usersScope()}); err == nil {
		t.Error("Page(0, 10) = nil error, want one")
	}
}

// Regression: an object created while the gateway scanned (lists are newest
// first) shifted the next upstream page, and the node read twice appeared
// twice in the list, with a count one too high.
func TestListerScanSeesEachObjectOnce(t *testing.T) {
	t.Parallel()
	up := &listUpstream{ids: newestFirst(20), before: func(u *listUpstream, page int) {
		if page == 2 {
			u.ids = append([]int64{22}, u.ids...) // a new in-scope user, newest
		}
	}}
	l, err := NewLister(up, nil, ListerOptions{ScanPageSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	p := listPage(t, l, usersScope(), 1, 100)
	seen := map[int64]bool{}
	for _, e := range p.Edges {
		if seen[e.Node.ID] {
			t.Errorf("user %d listed twice", e.Node.ID)
		}
		seen[e.Node.ID] = true
	}
	if p.PageInfo.Count != int64(len(p.Edges)) || len(p.Edges) != 10 {
		t.Errorf("count %d, %d nodes; want 10 and 10", p.PageInfo.Count, len(p.Edges))
	}
}

// Regression: an upstream page with no edges that still announced a next
// page ended the scan, and the partial list was served as complete.
func TestListerRefusesAnnouncedButEmptyPage(t *testing.T) {
	t.Parallel()
	l, err := NewLister(&listUpstream{ids: newestFirst(25), emptyAfter: 2}, nil, ListerOptions{ScanPageSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Page(context.Background(), ListRequest{Path: "/users", Page: 1, Size: 20, Check: nodes("id", Users), Scope: usersScope()})
	if !errors.Is(err, ErrMalformedBody) {
		t.Fatalf("Page() = %v, want ErrMalformedBody", err)
	}
}

func TestListerScanLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		objects int
		wantErr bool
	}{
		{"exactly the limit", 100, false},
		{"one past the limit", 101, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := &listUpstream{ids: newestFirst(tt.objects)}
			l, err := NewLister(up, nil, ListerOptions{MaxScan: 100, ScanPageSize: 50})
			if err != nil {
				t.Fatal(err)
			}
			_, err = l.Page(context.Background(), ListRequest{Path: "/users", Page: 1, Size: 20, Check: nodes("id", Users), Scope: usersScope()})
			if got := errors.Is(err, ErrScanLimit); got != tt.wantErr {
				t.Fatalf("Page() = %v, want scan limit %v", err, tt.wantErr)
			}
			if tt.wantErr && !strings.Contains(err.Error(), "100") {
				t.Errorf("error %q does not name the limit", err)
			}
			if n := up.served(); n > 3 {
				t.Errorf("upstream served %d pages, want at most 3 (the limit bounds the scan)", n)
			}
		})
	}
}

func TestListerReuseIsBoundedByTTLAndMemory(t *testing.T) {
	t.Parallel()
	now := time.Unix(100, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	up := &listUpstream{ids: newestFirst(25)}
	l, err := NewLister(up, nil, ListerOptions{ScanPageSize: 100, TTL: time.Second, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	s := usersScope()
	listPage(t, l, s, 1, 3)
	listPage(t, l, s, 2, 3)
	if n := up.served(); n != 1 {
		t.Fatalf("two pages within the TTL cost %d scans, want 1", n)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	listPage(t, l, s, 3, 3)
	if n := up.served(); n != 2 {
		t.Errorf("a page after the TTL cost %d scans in all, want 2 (rebuilt)", n)
	}
	// The rebuild replaced the list: the budget holds one list, not two.
	var one int64
	for _, n := range l.built.Values()[0].nodes {
		one += int64(len(n))
	}
	if b := l.bytes.Load(); b != one {
		t.Errorf("budget accounting holds %d bytes after a rebuild, want %d (one list)", b, one)
	}

	// A budget smaller than one list keeps nothing: every page rescans.
	tiny, err := NewLister(up, nil, ListerOptions{ScanPageSize: 100, MaxBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	before := up.served()
	listPage(t, tiny, s, 1, 3)
	listPage(t, tiny, s, 2, 3)
	if n := up.served() - before; n != 2 {
		t.Errorf("with a 10-byte budget, two pages cost %d scans, want 2", n)
	}
	if b := tiny.bytes.Load(); b != 0 {
		t.Errorf("budget accounting holds %d bytes after eviction, want 0", b)
	}
}

// Regression: a node is passed on as the upstream wrote it, so a node
// {"id":2,"ID":3} kept as user 2 was read as user 3 by encoding/json
// decoding into a struct (scan_fold.go).
func TestListerRefusesCaseVariants(t *testing.T) {
	t.Parallel()
	for _, node := range []string{`{"id":2,"ID":3}`, `{"Id":3,"id":2}`, `{"id":2},"Node":{"id":3}`} {
		up := mapUpstream{"/users?page=1&page_size=5": `{"edges":[{"cursor":0,"node":` + node + `}],"page_info":{"count":1,"has_next_page":false}}`}
		l, err := NewLister(up, nil, ListerOptions{ScanPageSize: 5})
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Page(context.Background(), ListRequest{Path: "/users", Page: 1, Size: 20, Check: nodes("id", Users), Scope: usersScope()})
		if !errors.Is(err, ErrMalformedBody) {
			t.Errorf("Page() of node %s = %v, want ErrMalformedBody", node, err)
		}
	}
}
