package upstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/internal/testkit"
	"reportgate/ratelimit"
)

// countingOrigin answers every path with a JSON body naming the path and
// how many requests it has seen; /hold/… waits for release first.
type countingOrigin struct {
	*origin
	requests atomic.Int64
	release  chan struct{}
	// answer, when set, writes the answer instead.
	answer func(ctx *fasthttp.RequestCtx)
}

func startCounting(t *testing.T) *countingOrigin {
	t.Helper()
	o := &countingOrigin{release: make(chan struct{})}
	o.origin = startOrigin(t, func(ctx *fasthttp.RequestCtx) {
		n := o.requests.Add(1)
		if strings.HasPrefix(string(ctx.Path()), "/hold/") {
			<-o.release
		}
		if o.answer != nil {
			o.answer(ctx)
			return
		}
		ctx.SetContentType("application/json")
		fmt.Fprintf(ctx, `{"path":%q,"n":%d}`, ctx.Path(), n)
	}, 0)
	return o
}

func newShared(t *testing.T, o *countingOrigin, opts SharedOptions) *Shared {
	t.Helper()
	s, err := NewShared(newClient(t, o.url, nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// joinedOf is how many followers the flight of a read of target has.
func joinedOf(s *Shared, target string) int {
	key, _, _ := readKey(nil, s.c.fetchRequest(target))
	for i := range s.flights.shards {
		sh := &s.flights.shards[i]
		sh.mu.Lock()
		for _, f := range sh.m {
			if string(f.key) == string(key) {
				n := f.joined
				sh.mu.Unlock()
				return n
			}
		}
		sh.mu.Unlock()
	}
	return -1
}

// 100 identical reads at once make one upstream call, and each gets the
// answer.
func TestSharedCoalescesIdenticalReads(t *testing.T) {
	t.Parallel()
	o := startCounting(t)
	s := newShared(t, o, SharedOptions{})
	const n = 100
	var wg sync.WaitGroup
	bodies := make([]string, n)
	for i := range n {
		wg.Go(func() {
			_, body, err := s.Fetch(context.Background(), "/hold/accounts?entity=1")
			if err != nil {
				t.Error(err)
			}
			bodies[i] = string(body)
		})
	}
	testkit.WaitFor(t, 10*time.Second, "the reads never all joined one flight", func() bool {
		return joinedOf(s, "/hold/accounts?entity=1") == n-1
	})
	close(o.release)
	wg.Wait()
	if got := o.requests.Load(); got != 1 {
		t.Errorf("the origin saw %d requests, want 1", got)
	}
	for i, b := range bodies {
		if b != `{"path":"/hold/accounts","n":1}` {
			t.Fatalf("read %d got %q", i, b)
		}
	}
	if st := s.Stats(); st.Joined != n-1 || st.Cached != 0 {
		t.Errorf("stats %+v, want %d joined", st, n-1)
	}
	// Once landed, the next read is an exchange of its own (no cache).
	if _, body, _ := s.Fetch(context.Background(), "/accounts?entity=1"); !strings.Contains(string(body), `"n":2`) {
		t.Errorf("after the flight: %s, want a fresh exchange", body)
	}
}

// Reads that differ in their target or in Accept are different reads; in
// other headers, the same.
func TestReadKey(t *testing.T) {
	t.Parallel()
	build := func(target string, headers ...string) *fasthttp.Request {
		req := &fasthttp.Request{}
		req.SetRequestURI(target)
		for i := 0; i < len(headers); i += 2 {
			req.Header.Add(headers[i], headers[i+1])
		}
		return req
	}
	base, share, cache := readKey(nil, build("/accounts?entity=1", "User-Agent", "a"))
	if !share || !cache {
		t.Fatalf("a plain GET: share %v, cache %v", share, cache)
	}
	for _, tt := range []struct {
		name         string
		req          *fasthttp.Request
		same         bool
		share, cache bool
	}{
		{"another user agent", build("/accounts?entity=1", "User-Agent", "b"), true, true, true},
		{"another query", build("/accounts?entity=2"), false, true, true},
		{"an Accept", build("/accounts?entity=1", "Accept", "text/csv"), false, true, true},
		{"a range", build("/accounts?entity=1", "Range", "bytes=0-10"), true, false, false},
		{"a condition", build("/accounts?entity=1", "If-None-Match", `"x"`), true, false, false},
		{"no-cache", build("/accounts?entity=1", "Cache-Control", "max-age=0, no-cache"), true, true, false},
		{"Pragma no-cache", build("/accounts?entity=1", "Pragma", "no-cache"), true, true, false},
	} {
		key, share, cache := readKey(nil, tt.req)
		if (string(key) == string(base)) != tt.same || share != tt.share || cache != tt.cache {
			t.Errorf("%s: same %v, share %v, cache %v; want %v, %v, %v", tt.name, string(key) == string(base), share, cache, tt.same, tt.share, tt.cache)
		}
	}
}

// A cached answer serves identical reads until its TTL, counted from when
// its request was sent, and never after.
func TestCacheNeverServesPastTTL(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Unix(1_700_000_000, 0))
	o := startCounting(t)
	const ttl = 2 * time.Second
	var slow atomic.Bool
	o.answer = func(ctx *fasthttp.RequestCtx) {
		if slow.Load() {
			clk.Advance(ttl / 2) // the upstream took half the TTL to answer
		}
		fmt.Fprintf(ctx, `{"n":%d}`, o.requests.Load())
	}
	s := newShared(t, o, SharedOptions{CacheTTL: ttl, Now: clk.Now})
	read := func() string {
		_, body, err := s.Fetch(context.Background(), "/transactions/1")
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	if got := read(); got != `{"n":1}` {
		t.Fatalf("first read %s", got)
	}
	clk.Advance(ttl - time.Nanosecond)
	if got := read(); got != `{"n":1}` {
		t.Errorf("1 ns before the TTL: %s, want the cached answer", got)
	}
	clk.Advance(time.Nanosecond)
	if got := read(); got != `{"n":2}` {
		t.Errorf("at the TTL: %s, want a fresh answer", got)
	}
	// Sent at T, answered at T + TTL/2: served until T + TTL only.
	slow.Store(true)
	clk.Advance(ttl)
	if got := read(); got != `{"n":3}` {
		t.Fatalf("%s", got)
	}
	slow.Store(false)
	clk.Advance(ttl/2 - time.Nanosecond)
	if got := read(); got != `{"n":3}` {
		t.Errorf("before the TTL counted from the send: %s, want the cached answer", got)
	}
	clk.Advance(time.Nanosecond)
	if got := read(); got != `{"n":4}` {
		t.Errorf("TTL after the send, not after the answer: %s, want a fresh answer", got)
	}
	if st := s.Stats(); st.Cached != 2 {
		t.Errorf("stats %+v, want 2 cached", st)
	}
}

// Only 200 answers the upstream lets anyone store are cached; a cookie or
// private data is not even shared with reads in flight.
func TestCacheKeepsOnlyShareable200s(t *testing.T) {
	t.Parallel()
	o := startCounting(t)
	o.answer = func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/missing":
			ctx.SetStatusCode(404)
		case "/cookie":
			ctx.Response.Header.SetCookie(cookie("lb", "a"))
		case "/private":
			ctx.Response.Header.Set("Cache-Control", "private, max-age=60")
		case "/no-cache":
			ctx.Response.Header.Set("Cache-Control", "no-cache")
		}
		fmt.Fprintf(ctx, `{"n":%d}`, o.requests.Load())
	}
	s := newShared(t, o, SharedOptions{CacheTTL: time.Minute})
	for _, tt := range []struct {
		path   string
		cached bool
	}{
		{"/ok", true}, {"/missing", false}, {"/cookie", false}, {"/private", false}, {"/no-cache", false},
	} {
		before := o.requests.Load()
		s.Fetch(context.Background(), tt.path)
		s.Fetch(context.Background(), tt.path)
		if sent := o.requests.Load() - before; (sent == 1) != tt.cached {
			t.Errorf("%s: %d requests for two reads, cached %v", tt.path, sent, tt.cached)
		}
	}
}

func cookie(name, value string) *fasthttp.Cookie {
	c := &fasthttp.Cookie{}
	c.SetKey(name)
	c.SetValue(value)
	return c
}

// The cache holds at most its bytes, dropping the least recently used.
func TestCacheIsBoundedInBytes(t *testing.T) {
	t.Parallel()
	o := startCounting(t)
	o.answer = func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString(strings.Repeat("x", 1000)) }
	const bound = 64 << 10
	s := newShared(t, o, SharedOptions{CacheTTL: time.Minute, CacheBytes: bound})
	for i := range 500 {
		s.Fetch(context.Background(), fmt.Sprintf("/accounts/%d", i))
		if b := s.Stats().CacheBytes; b > bound {
			t.Fatalf("after %d reads the cache holds %d bytes, want at most %d", i+1, b, bound)
		}
	}
	if st := s.Stats(); st.CacheEntries < 20 {
		t.Errorf("stats %+v: the cache keeps little", st)
	}
	// The most recent is still there, the first long gone.
	before := o.requests.Load()
	s.Fetch(context.Background(), "/accounts/499")
	s.Fetch(context.Background(), "/accounts/0")
	if got := o.requests.Load() - before; got != 1 {
		t.Errorf("%d requests, want 1 (the first evicted, the last kept)", got)
	}
}

// A purge drops the object it names and its sub-resources, nothing else;
// a read in flight during a purge is not cached.
func TestPurge(t *testing.T) {
	t.Parallel()
	o := startCounting(t)
	s := newShared(t, o, SharedOptions{CacheTTL: time.Minute})
	paths := []string{"/transactions/12", "/transactions/12/fees", "/transactions/13", "/transactions?page=1"}
	for _, p := range paths {
		s.Fetch(context.Background(), p)
	}
	s.Purge("/transactions/12")
	before := o.requests.Load()
	for _, p := range paths {
		s.Fetch(context.Background(), p)
	}
	if got := o.requests.Load() - before; got != 2 {
		t.Errorf("after purging /transactions/12: %d requests, want 2 (the object and its fees)", got)
	}
	s.Purge("/transactions")
	before = o.requests.Load()
	s.Fetch(context.Background(), "/transactions?page=1")
	s.Fetch(context.Background(), "/transactions/13")
	if got := o.requests.Load() - before; got != 1 {
		t.Errorf("after purging the lists: %d requests, want 1", got)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Fetch(context.Background(), "/hold/x")
	}()
	testkit.WaitFor(t, 5*time.Second, "the read never reached the origin", func() bool { return joinedOf(s, "/hold/x") == 0 })
	s.PurgeAll()
	close(o.release)
	<-done
	before = o.requests.Load()
	s.Fetch(context.Background(), "/hold/x")
	if got := o.requests.Load() - before; got != 1 {
		t.Errorf("an answer read across a purge was cached")
	}
}

// budgetFunc is a Budget from functions, recording pauses.
type budgetFunc struct {
	admit  func(keyID string) error
	mu     sync.Mutex
	paused []time.Duration
	asked  []string
}

func (b *budgetFunc) Admit(keyID string, _ time.Time) error {
	b.mu.Lock()
	b.asked = append(b.asked, keyID)
	b.mu.Unlock()
	return b.admit(keyID)
}

func (b *budgetFunc) Pause(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.paused = append(b.paused, d)
}

// Every exchange asks the budget for the key the context names; a refusal
// sends nothing; an upstream 420 pauses the budget for its Retry-After.
func TestSharedAsksTheBudget(t *testing.T) {
	t.Parallel()
	o := startCounting(t)
	o.answer = func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/limited" {
			ctx.SetStatusCode(420)
			ctx.Response.Header.Set("Retry-After", "7")
		}
	}
	refusal := &ratelimit.Refusal{Reason: ratelimit.FairShareSpent, RetryAfter: time.Second}
	b := &budgetFunc{admit: func(keyID string) error {
		if keyID == "key_greedy" {
			return refusal
		}
		return nil
	}}
	s := newShared(t, o, SharedOptions{CacheTTL: time.Minute, Budget: b})
	if _, _, err := s.Fetch(WithKey(context.Background(), "key_greedy"), "/accounts/1"); !errors.Is(err, refusal) {
		t.Fatalf("a refused key: %v, want its refusal", err)
	}
	if n := o.requests.Load(); n != 0 {
		t.Fatalf("a refused read reached the origin")
	}
	if _, _, err := s.Fetch(WithKey(context.Background(), "key_calm"), "/accounts/1"); err != nil {
		t.Fatal(err)
	}
	// Cached: no budget asked.
	if _, _, err := s.Fetch(WithKey(context.Background(), "key_greedy"), "/accounts/1"); err != nil {
		t.Fatalf("a cached answer costs no budget: %v", err)
	}
	call := &Call{Context: context.Background(), KeyID: "key_calm"}
	if _, _, err := s.Fetch(call, "/limited"); err == nil {
		t.Fatal("a 420 is not data")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if want := []string{"key_greedy", "key_calm", "key_calm"}; fmt.Sprint(b.asked) != fmt.Sprint(want) {
		t.Errorf("budget asked for %v, want %v", b.asked, want)
	}
	if fmt.Sprint(b.paused) != "[7s]" {
		t.Errorf("pauses %v, want the 420's Retry-After, 7s", b.paused)
	}
	if s.Stats().RateLimited != 1 {
		t.Errorf("stats %+v, want one 420", s.Stats())
	}
}

// A follower of a leader the budget refused sends its own request, under
// its own budget.
func TestFollowersOfARefusedLeaderGoOnTheirOwn(t *testing.T) {
	t.Parallel()
	o := startCounting(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	b := &budgetFunc{admit: func(keyID string) error {
		if keyID == "key_refused" {
			close(entered)
			<-release // the follower joins meanwhile
			return &ratelimit.Refusal{Reason: ratelimit.FairShareSpent, RetryAfter: time.Second}
		}
		return nil
	}}
	s := newShared(t, o, SharedOptions{Budget: b})
	errs := make(chan error, 1)
	go func() {
		_, _, err := s.Fetch(WithKey(context.Background(), "key_refused"), "/accounts/1")
		errs <- err
	}()
	<-entered
	got := make(chan string, 1)
	go func() {
		_, body, err := s.Fetch(WithKey(context.Background(), "key_ok"), "/accounts/1")
		if err != nil {
			t.Error(err)
		}
		got <- string(body)
	}()
	testkit.WaitFor(t, 5*time.Second, "the follower never joined", func() bool { return joinedOf(s, "/accounts/1") == 1 })
	close(release)
	if err := <-errs; err == nil {
		t.Error("the refused leader was answered")
	}
	if body := <-got; !strings.Contains(body, `"n":1`) {
		t.Errorf("the follower got %q, want its own exchange", body)
	}
}
