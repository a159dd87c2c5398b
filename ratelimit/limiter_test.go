package ratelimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/internal/redistest"
	"reportgate/internal/testkit"
)

// fakeSource is a Source with a fixed budget (or none), counting calls.
type fakeSource struct {
	mu        sync.Mutex
	unlimited bool
	budget    int           // requests left when not unlimited
	retry     time.Duration // answered when the budget is short
	down      bool
	calls     int
	asked     []Limit
}

func (f *fakeSource) TakeRate(_ context.Context, _ string, l Limit, n int) (Grant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.asked = append(f.asked, l)
	switch {
	case f.down:
		return Grant{}, ErrUnavailable
	case f.unlimited:
		return Grant{Granted: n}, nil
	case f.budget >= n:
		f.budget -= n
		return Grant{Granted: n}, nil
	}
	return Grant{RetryAfter: f.retry}, nil
}

func (f *fakeSource) Ping(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return ErrUnavailable
	}
	return nil
}

func (f *fakeSource) set(change func(*fakeSource)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeSource) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func newLimiter(t *testing.T, src Source, opts LimiterOptions) *Limiter {
	t.Helper()
	if opts.Default.IsZero() {
		opts.Default = Limit{Count: 100, Per: time.Second, Burst: 20}
	}
	l, err := NewLimiter(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	l.Start()
	t.Cleanup(l.Close)
	return l
}

// key is a key as the limiter sees it: its id and its own limit (zero:
// the default).
type key struct {
	id  string
	lim Limit
}

func admit(l *Limiter, k key) Verdict {
	a := l.Admit(k.id, k.lim, l.opts.Now())
	a.Release()
	return a.Verdict
}

func TestLimiterLeasesInBatches(t *testing.T) {
	t.Parallel()
	src := &fakeSource{unlimited: true}
	// 1000/s with a 100 ms span: leases of 100 (half the burst of 200).
	l := newLimiter(t, src, LimiterOptions{Default: Limit{Count: 1000, Per: time.Second, Burst: 200}})
	p := key{id: "key_a"}
	for i := range 10_000 {
		if v := admit(l, p); v != Admitted {
			t.Fatalf("request %d: %v", i, v)
		}
	}
	// Each call asks for at least half a lease (a top-up).
	if calls := src.callCount(); calls > 10_000/50+1 {
		t.Errorf("%d Redis calls for 10000 requests, want at most %d", calls, 10_000/50+1)
	}
}

func TestLimiterRefusesLocallyUntilRetry(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Unix(1_700_000_000, 0))
	src := &fakeSource{budget: 10, retry: 300 * time.Millisecond}
	// 100/s, burst 20: leases of 10.
	l := newLimiter(t, src, LimiterOptions{Now: clk.Now})
	p := key{id: "key_a"}
	for i := range 10 {
		if v := admit(l, p); v != Admitted {
			t.Fatalf("request %d of the budget: %v", i, v)
		}
	}
	testkit.WaitFor(t, 5*time.Second, "the prefetch is refused", func() bool { return src.callCount() == 2 })
	a := l.Admit(p.id, p.lim, l.opts.Now())
	if a.Verdict != OverRate || a.RetryAfter != 300*time.Millisecond || a.Limit.Count != 100 {
		t.Fatalf("over the budget: %+v, want OverRate for 300ms at 100/s", a)
	}
	for range 1000 {
		if v := admit(l, p); v != OverRate {
			t.Fatalf("flood: %v", v)
		}
	}
	if calls := src.callCount(); calls != 2 {
		t.Fatalf("a flood of refused requests made %d Redis calls, want none beyond the 2 before", calls)
	}
	src.set(func(f *fakeSource) { f.budget = 10 })
	clk.Advance(300 * time.Millisecond)
	if v := admit(l, p); v != Admitted {
		t.Fatalf("after the retry delay: %v", v)
	}
	// Other keys have budgets of their own.
	src.set(func(f *fakeSource) { f.unlimited = true })
	if v := admit(l, key{id: "key_b"}); v != Admitted {
		t.Fatalf("another key: %v", v)
	}
}

func TestLimiterAdoptsANewLimitAtOnce(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Unix(1_700_000_000, 0))
	src := &fakeSource{budget: 2, retry: time.Hour}
	l := newLimiter(t, src, LimiterOptions{Now: clk.Now, Default: Limit{Count: 1, Per: time.Minute, Burst: 2}})
	p := key{id: "key_a"}
	for admit(l, p) == Admitted {
	}
	if v := admit(l, p); v != OverRate {
		t.Fatalf("default limit spent: %v", v)
	}
	// An approved edit gives the key a new limit: the refusal computed under
	// the old limit does not outlive it.
	src.set(func(f *fakeSource) { f.budget = 1000 })
	raised := key{id: "key_a", lim: Limit{Count: 50, Per: time.Second, Burst: 100}}
	if v := admit(l, raised); v != Admitted {
		t.Fatalf("after raising the limit: %v", v)
	}
	src.mu.Lock()
	last := src.asked[len(src.asked)-1]
	src.mu.Unlock()
	if last != raised.lim {
		t.Errorf("Redis asked with %v, want the key's own %v", last, raised.lim)
	}
}

func TestLimiterCapsConcurrency(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, &fakeSource{unlimited: true}, LimiterOptions{MaxInFlight: 2})
	p := key{id: "key_a"}
	a1, a2 := l.Admit(p.id, p.lim, l.opts.Now()), l.Admit(p.id, p.lim, l.opts.Now())
	if a3 := l.Admit(p.id, p.lim, l.opts.Now()); a3.Verdict != OverConcurrency || a3.RetryAfter <= 0 {
		t.Fatalf("third concurrent request: %+v, want OverConcurrency", a3)
	}
	if v := admit(l, key{id: "key_b"}); v != Admitted {
		t.Fatalf("another key: %v", v)
	}
	a1.Release()
	a3 := l.Admit(p.id, p.lim, l.opts.Now())
	if a3.Verdict != Admitted {
		t.Fatalf("after a release: %v", a3.Verdict)
	}
	a2.Release()
	a3.Release()
	if a1.Verdict != Admitted || a2.Verdict != Admitted {
		t.Fatal("first two refused")
	}
}

func TestLimiterOutageModes(t *testing.T) {
	t.Parallel()
	for _, mode := range []OutageMode{OutageLocal, OutageOpen, OutageClosed} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			clk := testkit.NewClock(time.Unix(1_700_000_000, 0))
			src := &fakeSource{down: true}
			// 10/s burst 5: leases of 1; nothing is leased while Redis is down.
			l := newLimiter(t, src, LimiterOptions{Now: clk.Now, Outage: mode, ProbeEvery: 5 * time.Millisecond,
				Default: Limit{Count: 10, Per: time.Second, Burst: 5}})
			p := key{id: "key_a"}
			var got []Verdict
			for range 8 {
				got = append(got, admit(l, p))
			}
			calls := src.callCount()
			want := map[OutageMode][]Verdict{
				OutageLocal:  {0, 0, 0, 0, 0, OverRate, OverRate, OverRate},
				OutageOpen:   {0, 0, 0, 0, 0, 0, 0, 0},
				OutageClosed: {LimiterDown, LimiterDown, LimiterDown, LimiterDown, LimiterDown, LimiterDown, LimiterDown, LimiterDown},
			}[mode]
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("verdicts %v, want %v", got, want)
				}
			}
			if calls != 1 || !l.Down() {
				t.Fatalf("%d Redis calls, down=%v: want one failed call, then none", calls, l.Down())
			}
			if mode == OutageLocal {
				clk.Advance(100 * time.Millisecond) // one interval at 10/s
				if v := admit(l, p); v != Admitted {
					t.Fatalf("local limit after one interval: %v", v)
				}
			}
			src.set(func(f *fakeSource) { f.down, f.unlimited = false, true })
			testkit.WaitFor(t, 5*time.Second, "the probe sees Redis again", func() bool { return !l.Down() })
			if v := admit(l, p); v != Admitted || src.callCount() == calls {
				t.Fatalf("after recovery: %v after %d calls, want a shared lease", v, src.callCount())
			}
		})
	}
}

func TestNewLimiterRefusesBadOptions(t *testing.T) {
	t.Parallel()
	ok := Limit{Count: 1, Per: time.Second, Burst: 1}
	for name, opts := range map[string]LimiterOptions{
		"no default":   {},
		"hourly":       {Default: Limit{Count: 1, Per: time.Hour, Burst: 1}},
		"no burst":     {Default: Limit{Count: 1, Per: time.Second}},
		"unknown mode": {Default: ok, Outage: "maybe"},
		"negative":     {Default: ok, MaxInFlight: -1},
	} {
		if _, err := NewLimiter(&fakeSource{}, opts); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := NewLimiter(nil, LimiterOptions{Default: ok}); err == nil {
		t.Error("nil source accepted")
	}
	l, err := NewLimiter(&fakeSource{}, LimiterOptions{Default: ok})
	if err != nil {
		t.Fatal(err)
	}
	l.Close() // without Start
	l.Close()
}

// The hot path: a key with budget leased allocates nothing.
func TestLimiterAdmitAllocatesNothing(t *testing.T) {
	l := newLimiter(t, &fakeSource{unlimited: true}, LimiterOptions{
		Default: Limit{Count: MaxCount, Per: time.Second, Burst: MaxBurst}})
	p := key{id: "key_a"}
	admit(l, p) // the first request creates the key's state
	if n := testing.AllocsPerRun(10_000, func() { admit(l, p) }); n != 0 {
		t.Fatalf("Admit+Release allocates %v times per request", n)
	}
}

func TestTakeRateIsAllOrNothing(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	b := newBudget(t, srv)
	ctx := context.Background()
	l := Limit{Count: 10, Per: time.Second, Burst: 10}
	if g := must(b.TakeRate(ctx, "key_a", l, 10))(t); g.Granted != 10 {
		t.Fatalf("a full burst: %+v", g)
	}
	g := must(b.TakeRate(ctx, "key_a", l, 2))(t)
	if g.Granted != 0 || g.RetryAfter < 100*time.Millisecond || g.RetryAfter > 210*time.Millisecond {
		t.Fatalf("after the burst, 2 more: %+v, want none for about 200ms", g)
	}
	if g := must(b.TakeRate(ctx, "key_b", l, 1))(t); g.Granted != 1 {
		t.Fatalf("another key: %+v", g)
	}
	if _, err := b.TakeRate(ctx, "key_a", Limit{}, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("zero limit: %v", err)
	}
	srv.Stop()
	if _, err := b.TakeRate(ctx, "key_a", l, 1); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Redis down: %v, want ErrUnavailable", err)
	}
}

// Two limiters on one Redis (two replicas) share one budget: hammered for a
// measured interval, together they admit the key's rate within 10 %.
func TestLimitersShareOneBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("measures over 2s of real time")
	}
	t.Parallel()
	b := newBudget(t, redistest.Start(t))
	const rate, burst = 200, 20
	lim := Limit{Count: rate, Per: time.Second, Burst: burst}
	var admitted atomic.Int64
	p := key{id: "key_shared"}
	start := time.Now()
	stop := start.Add(2 * time.Second)
	var wg sync.WaitGroup
	for range 2 {
		l := newLimiter(t, b, LimiterOptions{Default: lim})
		for range 3 {
			wg.Go(func() {
				for time.Now().Before(stop) {
					if admit(l, p) == Admitted {
						admitted.Add(1)
					}
					time.Sleep(200 * time.Microsecond) // about 10× the rate in all
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	got := float64(admitted.Load()-burst) / elapsed
	t.Logf("admitted %d in %.2fs: %.1f/s for a limit of %d/s (burst %d)", admitted.Load(), elapsed, got, rate, burst)
	if got < rate*0.9 || got > rate*1.1 {
		t.Errorf("admitted rate %.1f/s, want %d/s ± 10%%", got, rate)
	}
}

// newBudget is a Budget on srv under a workspace's prefix.
func newBudget(t *testing.T, srv *redistest.Server) *Budget {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	return NewBudget(c, "rg:{acme}:")
}

// must returns v, failing t on err.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
