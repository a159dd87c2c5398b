package ratelimit

import (
	"context"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Reason is why the operator's budget refused an upstream request.
type Reason uint8

const (
	// FairShareSpent: the key asked for more than its fair share while the
	// budget is contended.
	FairShareSpent Reason = iota + 1
	// BudgetSpent: the whole budget is spent for now.
	BudgetSpent
	// Paused: the upstream answered 420, and its Retry-After has not passed.
	Paused
	// BudgetDown: Redis is unreachable and the outage mode is closed.
	BudgetDown
)

var reasonNames = [...]string{"", "fair_share", "budget", "paused", "limiter_down"}

// String is the reason as metrics name it.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// Refusal is the budget's answer to an upstream request it does not admit:
// why, and how long until asking again makes sense.
type Refusal struct {
	Reason     Reason
	RetryAfter time.Duration
}

func (r *Refusal) Error() string {
	return "ratelimit: upstream budget: " + r.Reason.String() + ", retry after " + r.RetryAfter.String()
}

// SharedOptions configure the operator's budget. Zero values mean the
// documented defaults, except Limit, which is required.
type SharedOptions struct {
	// Limit is what every replica together may send upstream: the
	// operator's plan, less a margin (docs/upstream-budget.md). Count, Per
	// and Burst set.
	Limit Limit
	// Window is how long each key's demand is measured before the fair
	// share is computed again. Default 1s.
	Window time.Duration
	// Poll is how often a replica adds its counts to Redis and reads the
	// shared pause. Default 250ms.
	Poll time.Duration
	// MaxPause bounds the pause an upstream 420 may ask for. Default 5m.
	MaxPause time.Duration
	// MaxWait is how long Admit may hold a request for the budget or the
	// key's share to come back, in all: a refusal whose retry time fits
	// is waited out, not answered. Building a scope or a scoped list takes
	// several reads in a row; refusing the fourth would waste the first
	// three, and the partner's retry would start over. Default 1s.
	MaxWait time.Duration
	// LeaseSpan sizes the leases of the budget and of the shares, as in
	// LimiterOptions. Default 20ms, shorter than a key's: each request
	// admitted here is an upstream exchange, which costs far more than
	// the Redis call a lease takes, and short leases keep the bound tight
	// and let a drained budget serve modest keys again sooner.
	LeaseSpan time.Duration
	// Outage, Timeout and ProbeEvery are as in LimiterOptions.
	Timeout, ProbeEvery time.Duration
	Outage              OutageMode
	// Now is the clock. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// globalID names the whole budget's bucket among the keys' share buckets
// (key ids start with "key_").
const globalID = "*"

// Shared is the operator's upstream budget, shared by every replica and
// every key: Admit is asked before each upstream request. The whole
// budget is a GCRA bucket in Redis, leased by the Limiter like a key's
// limit; when the keys' demand exceeds it, each key also spends from a
// bucket of its own at the max-min fair share (FairShare), computed every
// Window from every replica's counts. An upstream 420 pauses every
// replica (Pause). Admit makes no Redis call beyond the Limiter's leases.
// Safe for concurrent use; NewShared, Start, Close.
type Shared struct {
	opts  SharedOptions
	store *Budget
	lim   *Limiter
	share atomic.Pointer[shareState]
	// pause is the unix ns until which nothing is sent; pending the pause
	// in ms to share at the next exchange.
	pause, pending atomic.Int64
	kick           chan struct{}
	uses           usage
	refused        [len(reasonNames)]atomic.Uint64
	// last is the window the shares were computed after; down whether the
	// last exchange failed. The exchange loop's own.
	last int64
	down bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// shareState is the fair share of the current window.
type shareState struct {
	// limit is what each key may spend; zero Count when the share is the
	// whole budget (nothing to enforce beyond it).
	limit     Limit
	perSecond float64
	contended bool
}

// NewShared returns the budget kept in Redis under prefix (which carries
// the workspace's hash tag: registry.Registry.Prefix). It starts nothing.
func NewShared(client redis.UniversalClient, prefix string, opts SharedOptions) (*Shared, error) {
	l := opts.Limit
	if l.Count < 1 || l.Burst < 1 || (l.Per != time.Second && l.Per != time.Minute) {
		return nil, invalidf("upstream budget %v is incomplete", l)
	}
	setSharedDefaults(&opts)
	store := NewBudget(client, prefix+"up:")
	lim, err := NewLimiter(store, LimiterOptions{
		Default: l, LeaseSpan: opts.LeaseSpan, MaxInFlight: math.MaxInt32, Outage: opts.Outage,
		Timeout: opts.Timeout, ProbeEvery: opts.ProbeEvery, Now: opts.Now, Logger: opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	s := &Shared{opts: opts, store: store, lim: lim, kick: make(chan struct{}, 1), uses: usage{m: map[string]*use{}}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

func setSharedDefaults(o *SharedOptions) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Window, time.Second)
	def(&o.Poll, 250*time.Millisecond)
	def(&o.MaxPause, 5*time.Minute)
	def(&o.MaxWait, time.Second)
	def(&o.LeaseSpan, 20*time.Millisecond)
	def(&o.Timeout, 500*time.Millisecond)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Start runs the leases' refills and the exchange with Redis until Close.
func (s *Shared) Start() {
	s.lim.Start()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.run()
	}()
}

// Close stops the background work. Safe without Start and twice.
func (s *Shared) Close() {
	s.cancel()
	s.wg.Wait()
	s.lim.Close()
}

// Limit is the budget.
func (s *Shared) Limit() Limit { return s.opts.Limit }

// Window is how long demand is measured before the share is computed
// again, in seconds.
func (s *Shared) Window() float64 { return s.opts.Window.Seconds() }

// Admit decides on one upstream request on behalf of key keyID ("" for
// the gateway's own reads, which no fair share limits), at now: nil, or a
// *Refusal. When the budget or the key's share is spent for less than
// what is left of MaxWait, it waits and asks again; a pause or an outage
// is answered at once. It allocates only to refuse.
func (s *Shared) Admit(keyID string, now time.Time) error {
	u := s.uses.of(keyID)
	u.asked.Add(1)
	var waited time.Duration
	for {
		r := s.check(keyID, now)
		if r == nil {
			u.sent.Add(1)
			return nil
		}
		wait := max(r.RetryAfter, time.Millisecond)
		if (r.Reason != BudgetSpent && r.Reason != FairShareSpent) || waited+wait > s.opts.MaxWait {
			u.refused.Add(1)
			s.refused[r.Reason].Add(1)
			return r
		}
		// Real time, not the clock: a test's frozen clock must not hold
		// a request for ever.
		time.Sleep(wait)
		waited += wait
		now = s.opts.Now()
	}
}

func (s *Shared) check(keyID string, now time.Time) *Refusal {
	if until := s.pause.Load(); now.UnixNano() < until {
		return &Refusal{Reason: Paused, RetryAfter: time.Duration(until - now.UnixNano())}
	}
	// The key's share first: a key over its share then costs the whole
	// budget nothing.
	if sh := s.share.Load(); keyID != "" && sh != nil && sh.limit.Count > 0 {
		if r := s.take(keyID, sh.limit, now, FairShareSpent); r != nil {
			return r
		}
	}
	return s.take(globalID, s.opts.Limit, now, BudgetSpent)
}

func (s *Shared) take(id string, l Limit, now time.Time, over Reason) *Refusal {
	a := s.lim.Admit(id, l, now)
	a.Release() // no concurrency cap here: the key's own applies upstream of it
	switch a.Verdict {
	case Admitted:
		return nil
	case LimiterDown:
		return &Refusal{Reason: BudgetDown, RetryAfter: a.RetryAfter}
	}
	return &Refusal{Reason: over, RetryAfter: a.RetryAfter}
}

// Pause stops upstream requests for d (an upstream 420's Retry-After,
// between 1 s and MaxPause) on this replica at once, and on the others
// within Poll: the pause goes to Redis at once, and each replica reads it
// at its next exchange.
func (s *Shared) Pause(d time.Duration) {
	d = min(max(d, time.Second), s.opts.MaxPause)
	s.extend(s.opts.Now().Add(d).UnixNano())
	maxInto(&s.pending, d.Milliseconds())
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// PausedFor is the pause left at now, 0 when none.
func (s *Shared) PausedFor(now time.Time) time.Duration {
	return time.Duration(max(s.pause.Load()-now.UnixNano(), 0))
}

func (s *Shared) extend(until int64) { maxInto(&s.pause, until) }

func maxInto(v *atomic.Int64, n int64) {
	for {
		cur := v.Load()
		if n <= cur || v.CompareAndSwap(cur, n) {
			return
		}
	}
}

// Share is the current fair share per second, whether the keys' demand
// exceeded the budget in the last window, and false before any window
// was measured.
func (s *Shared) Share() (perSecond float64, contended, known bool) {
	sh := s.share.Load()
	if sh == nil {
		return 0, false, false
	}
	return sh.perSecond, sh.contended, true
}

// Use reads keyID's use of the budget, summed over every replica.
func (s *Shared) Use(ctx context.Context, keyID string) (KeyUse, error) {
	return s.store.use(ctx, s.opts.Window, keyID)
}

// Refusals counts the refusals by reason since start.
func (s *Shared) Refusals() map[Reason]uint64 {
	out := map[Reason]uint64{}
	for r := FairShareSpent; r <= BudgetDown; r++ {
		out[r] = s.refused[r].Load()
	}
	return out
}

func (s *Shared) run() {
	t := time.NewTicker(s.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		s.exchange()
	}
}

// exchange adds this replica's counts to the window's, shares a pause,
// reads the shared pause and, once per window, computes the fair share
// from the previous window's demand. What could not be sent is kept for
// the next exchange.
func (s *Shared) exchange() {
	batch := s.uses.take()
	pause := time.Duration(s.pending.Swap(0)) * time.Millisecond
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.Timeout)
	defer cancel()
	e, err := s.store.exchange(ctx, s.opts.Window, s.last, pause, batch)
	if err != nil {
		s.uses.giveBack(batch)
		maxInto(&s.pending, pause.Milliseconds())
		if !s.down && s.ctx.Err() == nil {
			s.opts.Logger.Warn("upstream budget: redis unreachable; shares and pauses are not exchanged", "err", err)
		}
		s.down = true
		return
	}
	if s.down {
		s.opts.Logger.Info("upstream budget: redis reachable again")
		s.down = false
	}
	if e.pause > 0 {
		s.extend(s.opts.Now().Add(e.pause).UnixNano())
	}
	if e.prev != nil {
		s.last = e.window
		s.recompute(e.prev)
	}
}

// headroom is the part of the budget the shares leave out: the keys'
// buckets lease and burst, so keys at their share together sometimes send
// a little more than it for a moment. Without headroom the whole budget's
// bucket would then refuse whoever asks next, often a modest key.
const headroom = 0.1

// recompute sets the fair share from one window's requests asked, by key:
// the gateway's own reads come off the top, the keys share the rest less
// the headroom.
func (s *Shared) recompute(asked map[string]int64) {
	rate := float64(s.opts.Limit.Count) / s.opts.Limit.Per.Seconds()
	secs := s.opts.Window.Seconds()
	capacity := rate * (1 - headroom)
	demands := make([]float64, 0, len(asked))
	for id, n := range asked {
		if id == "" {
			capacity -= float64(n) / secs
			continue
		}
		demands = append(demands, float64(n)/secs)
	}
	share, contended := FairShare(max(capacity, 0), demands)
	st := &shareState{perSecond: share, contended: contended}
	if share < rate {
		st.limit = shareLimit(share, s.opts.Limit)
	}
	s.share.Store(st)
}

// use is what this replica saw of one key since the last exchange.
type use struct {
	asked, sent, refused atomic.Int64
	idle                 bool // nothing in the last exchange; under usage.mu
}

// usage holds the keys' counts between exchanges; a key idle for two
// exchanges is forgotten. Counting an existing key allocates nothing.
type usage struct {
	mu sync.RWMutex
	m  map[string]*use
}

func (u *usage) of(id string) *use {
	u.mu.RLock()
	x := u.m[id]
	u.mu.RUnlock()
	if x != nil {
		return x
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if x = u.m[id]; x == nil {
		x = &use{}
		u.m[id] = x
	}
	return x
}

// take returns the counts since the last take and zeroes them.
func (u *usage) take() map[string]counts {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[string]counts{}
	for id, x := range u.m {
		c := counts{x.asked.Swap(0), x.sent.Swap(0), x.refused.Swap(0)}
		if c == (counts{}) {
			if x.idle {
				delete(u.m, id)
			}
			x.idle = true
			continue
		}
		x.idle = false
		out[id] = c
	}
	return out
}

// giveBack returns counts an exchange could not send.
func (u *usage) giveBack(batch map[string]counts) {
	for id, c := range batch {
		x := u.of(id)
		x.asked.Add(c.asked)
		x.sent.Add(c.sent)
		x.refused.Add(c.refused)
	}
}
