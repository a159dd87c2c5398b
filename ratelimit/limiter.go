package ratelimit

import (
	"context"
	"errors"
	"hash/maphash"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"reportgate/internal/gcra"
)

// OutageMode is what the Limiter does when a key's leased budget is spent
// and Redis cannot be reached to lease more.
type OutageMode string

const (
	// OutageLocal: each replica enforces the key's limit on its own, so a
	// key gets at most (replicas × its limit) during the outage. The
	// default: partners keep working, and no key goes unlimited.
	OutageLocal OutageMode = "local"
	// OutageOpen: no limit until Redis is back.
	OutageOpen OutageMode = "open"
	// OutageClosed: refuse (LimiterDown, answered 503) until Redis is back.
	OutageClosed OutageMode = "closed"
)

// Valid reports whether m is one of the three modes.
func (m OutageMode) Valid() bool {
	return m == OutageLocal || m == OutageOpen || m == OutageClosed
}

// Source is the budget shared by replicas; Budget implements it in Redis.
type Source interface {
	TakeRate(ctx context.Context, keyID string, l Limit, n int) (Grant, error)
	Ping(ctx context.Context) error
}

var _ Source = (*Budget)(nil)

// LimiterOptions configure a Limiter. Zero values mean the documented
// defaults, except Default, which is required.
type LimiterOptions struct {
	// Default is the limit of keys without their own (complete: Count, Per
	// and Burst set).
	Default Limit
	// LeaseSpan sizes a lease: the budget of this long at the key's rate,
	// at least 1 request and at most half the key's burst. Longer leases
	// mean fewer Redis calls and a coarser cross-replica bound (see
	// docs/rate-limits.md). Default 100ms.
	LeaseSpan time.Duration
	// MaxInFlight caps a key's concurrent requests on this replica.
	// Default 32.
	MaxInFlight int
	// Outage is the behaviour while Redis is unreachable. Default
	// OutageLocal.
	Outage OutageMode
	// Timeout bounds one Redis call, like the key cache's lookups. Default
	// 500ms.
	Timeout time.Duration
	// ProbeEvery is how often Redis is pinged while unreachable; requests
	// never wait for it meanwhile. Default 500ms.
	ProbeEvery time.Duration
	// IdleAfter drops the state of keys unused this long. Default 5m.
	IdleAfter time.Duration
	// Workers refill leases in the background. Default 4.
	Workers int
	// Now is the clock. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Verdict is the Limiter's decision on one request.
type Verdict uint8

const (
	// Admitted: go on, and Release the Admission when done.
	Admitted Verdict = iota
	// OverRate: the key's rate limit is spent (420).
	OverRate
	// OverConcurrency: the key has MaxInFlight requests running here.
	OverConcurrency
	// LimiterDown: Redis is unreachable and the mode is OutageClosed (503).
	LimiterDown
)

// Admission is the Limiter's answer for one request. An admitted request
// must be released exactly once, when it ends. It is a value: keeping it
// allocates nothing.
type Admission struct {
	Verdict Verdict
	// Limit is the key's effective limit.
	Limit Limit
	// RetryAfter is, for a refusal, when to try again.
	RetryAfter time.Duration
	b          *bucket
}

// Release ends an admitted request; it does nothing for a refused one.
func (a Admission) Release() {
	if a.b != nil {
		a.b.inflight.Add(-1)
	}
}

// bucket is one key's state on this replica: its lease of the shared budget,
// its running requests and its outage fallback.
type bucket struct {
	id       string
	inflight atomic.Int32

	mu        sync.Mutex
	cond      sync.Cond // on mu: a fetch ended
	lim       Limit
	lease     int   // requests asked per refill
	tokens    int   // leased and not used
	fetching  bool  // a refill is in flight
	denyUntil int64 // unix ns: Redis said the budget is spent until then
	deniedAt  int64 // unix ns of Redis's last refusal
	localTAT  int64 // the outage fallback's GCRA state
	used      int64 // unix ns of the last request
}

// want is how many requests the next refill asks for: a lease, topped up.
func (b *bucket) want() int { return max(b.lease-b.tokens, 1) }

// setLimit adopts a key's new limit at once: leased tokens beyond the new
// lease and a refusal computed under the old limit are dropped.
func (b *bucket) setLimit(l Limit, span time.Duration) {
	b.lim = l
	perSpan := int((int64(l.Count)*int64(span) + int64(l.Per) - 1) / int64(l.Per))
	b.lease = min(max(perSpan, 1), max(l.Burst/2, 1))
	b.tokens = min(b.tokens, b.lease)
	b.denyUntil, b.deniedAt, b.localTAT = 0, 0, 0
}

const shards = 64

type shard struct {
	mu sync.RWMutex
	m  map[string]*bucket
}

// Limiter enforces per-key rate limits across replicas without a Redis call
// per request: each replica leases a slice of a key's budget from Redis
// (Source) and spends it locally, refilling in the background before it
// runs out. It also caps each key's concurrent requests. Safe for concurrent
// use; New, then Start, then Close.
type Limiter struct {
	src    Source
	opts   LimiterOptions
	seed   maphash.Seed
	shards [shards]shard
	queue  chan *bucket
	down   atomic.Bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewLimiter returns a limiter leasing from src. It starts nothing.
func NewLimiter(src Source, opts LimiterOptions) (*Limiter, error) {
	d := opts.Default
	if src == nil {
		return nil, errors.New("ratelimit: limiter: nil rate source")
	}
	if d.Count < 1 || d.Burst < 1 || (d.Per != time.Second && d.Per != time.Minute) {
		return nil, invalidf("limiter: default limit %v is incomplete", d)
	}
	if opts.Outage == "" {
		opts.Outage = OutageLocal
	}
	if !opts.Outage.Valid() || opts.LeaseSpan < 0 || opts.MaxInFlight < 0 {
		return nil, invalidf("limiter: outage %q, lease span %v, max in flight %d", opts.Outage, opts.LeaseSpan, opts.MaxInFlight)
	}
	setLimiterDefaults(&opts)
	l := &Limiter{src: src, opts: opts, seed: maphash.MakeSeed(), queue: make(chan *bucket, 1024)}
	for i := range l.shards {
		l.shards[i].m = map[string]*bucket{}
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l, nil
}

func setLimiterDefaults(o *LimiterOptions) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.LeaseSpan, 100*time.Millisecond)
	def(&o.Timeout, 500*time.Millisecond)
	def(&o.ProbeEvery, 500*time.Millisecond)
	def(&o.IdleAfter, 5*time.Minute)
	if o.MaxInFlight == 0 {
		o.MaxInFlight = 32
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Start runs the background refills, the outage probe and the sweep of idle
// keys until Close.
func (l *Limiter) Start() {
	for range l.opts.Workers {
		l.spawn(l.refillLoop)
	}
	l.spawn(func() { l.every(l.opts.ProbeEvery, l.probe) })
	l.spawn(func() { l.every(l.opts.IdleAfter/2, l.sweep) })
}

// Close stops the background work. Safe without Start and twice.
func (l *Limiter) Close() {
	l.cancel()
	l.wg.Wait()
}

func (l *Limiter) spawn(f func()) {
	l.wg.Add(1)
	go func() { defer l.wg.Done(); f() }()
}

func (l *Limiter) every(d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// Admit decides on one request of key keyID, whose own limit is lim (the
// zero value: the default), arriving at now (the caller has read the clock
// already; reading it again costs as much as the rest of Admit).
// It allocates nothing and calls Redis only when the key's lease is empty
// and no refill is under way (a key's first request on this replica, or the
// first after a refusal expired).
func (l *Limiter) Admit(keyID string, lim Limit, now time.Time) Admission {
	if lim.Count == 0 {
		lim = l.opts.Default
	}
	b := l.bucket(keyID)
	if b.inflight.Add(1) > int32(l.opts.MaxInFlight) {
		b.inflight.Add(-1)
		return Admission{Verdict: OverConcurrency, Limit: lim, RetryAfter: time.Second}
	}
	v, retry := l.take(b, lim, now.UnixNano())
	if v != Admitted {
		b.inflight.Add(-1)
		return Admission{Verdict: v, Limit: lim, RetryAfter: retry}
	}
	return Admission{Limit: lim, b: b}
}

// Down reports whether Redis is currently considered unreachable.
func (l *Limiter) Down() bool { return l.down.Load() }

func (l *Limiter) bucket(id string) *bucket {
	s := &l.shards[maphash.String(l.seed, id)%shards]
	s.mu.RLock()
	b := s.m[id]
	s.mu.RUnlock()
	if b != nil {
		return b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b = s.m[id]; b == nil {
		b = &bucket{id: id}
		b.cond.L = &b.mu
		s.m[id] = b
	}
	return b
}

// maxAttempts bounds take's loop: each pass either decides or waits for one
// refill, so more passes only happen when other requests keep winning the
// refilled budget; then the request is refused like an exhausted key.
const maxAttempts = 4

func (l *Limiter) take(b *bucket, lim Limit, now int64) (Verdict, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lim != lim {
		b.setLimit(lim, l.opts.LeaseSpan)
	}
	for attempt := range maxAttempts {
		if attempt > 0 { // after waiting for Redis
			now = l.opts.Now().UnixNano()
		}
		b.used = now
		switch {
		case b.tokens > 0:
			b.tokens--
			l.prefetch(b, now)
			return Admitted, 0
		case now < b.denyUntil:
			return OverRate, time.Duration(b.denyUntil - now)
		case l.down.Load():
			return l.outage(b, now)
		case b.fetching:
			b.cond.Wait()
		default:
			b.fetching = true
			n := b.want()
			b.mu.Unlock()
			g, err := l.call(b.id, lim, n)
			b.mu.Lock()
			l.apply(b, g, err)
		}
	}
	return OverRate, lim.Interval()
}

// prefetch queues a background refill once the lease is half spent, so that
// requests below the limit never wait for Redis. A key Redis refused within
// the last few lease spans is at or over its limit: a prefetch would mostly
// be refused, so the next refill waits for a request that needs it.
func (l *Limiter) prefetch(b *bucket, now int64) {
	if b.fetching || b.tokens > b.lease/2 || now < b.denyUntil || l.down.Load() ||
		now-b.deniedAt < overLimitSpans*int64(l.opts.LeaseSpan) {
		return
	}
	b.fetching = true
	select {
	case l.queue <- b:
	default: // saturated: the next request with an empty lease fetches itself
		b.fetching = false
	}
}

// overLimitSpans is how long, in lease spans, a refusal from Redis marks a
// key as over its limit (no prefetch).
const overLimitSpans = 3

func (l *Limiter) refillLoop() {
	for {
		select {
		case <-l.ctx.Done():
			l.drain()
			return
		case b := <-l.queue:
			b.mu.Lock()
			lim, n := b.lim, b.want()
			b.mu.Unlock()
			g, err := l.call(b.id, lim, n)
			b.mu.Lock()
			l.apply(b, g, err)
			b.mu.Unlock()
		}
	}
}

// drain releases the requests waiting on refills that will not run: after
// Close, an empty lease is decided by the outage mode.
func (l *Limiter) drain() {
	l.down.Store(true)
	for {
		select {
		case b := <-l.queue:
			b.mu.Lock()
			b.fetching = false
			b.cond.Broadcast()
			b.mu.Unlock()
		default:
			return
		}
	}
}

// call asks Redis for n tokens, for at most Timeout. go-redis ends a
// blocked read at its own ReadTimeout (3 s by default, then retries), not
// at a context's deadline (unless ContextTimeoutEnabled): against a Redis
// that hangs, requests waiting for this refill would wait that long. So
// the call runs in its own goroutine and is abandoned at the deadline (its
// goroutine ends with go-redis's timeout); the limiter is then down.
func (l *Limiter) call(id string, lim Limit, n int) (Grant, error) {
	ctx, cancel := context.WithTimeout(l.ctx, l.opts.Timeout)
	defer cancel()
	type answer struct {
		g   Grant
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		g, err := l.src.TakeRate(ctx, id, lim, n)
		ch <- answer{g, err}
	}()
	select {
	case a := <-ch:
		return a.g, a.err
	case <-ctx.Done():
		return Grant{}, context.Cause(ctx)
	}
}

// apply records a refill's outcome; b.mu is held.
func (l *Limiter) apply(b *bucket, g Grant, err error) {
	switch {
	case err != nil:
		if l.down.CompareAndSwap(false, true) && l.ctx.Err() == nil {
			l.opts.Logger.Warn("rate limiter: redis unreachable; limits now follow the outage mode",
				"mode", string(l.opts.Outage), "err", err)
		}
	case g.Granted > 0:
		b.tokens += g.Granted
	default:
		// Wait for the lease Redis refused, and at least the time a lease
		// takes to refill: replicas racing for the same refill would
		// otherwise retry every few milliseconds. Nothing is lost meanwhile:
		// the budget accumulates in Redis up to the burst.
		b.deniedAt = l.opts.Now().UnixNano()
		b.denyUntil = b.deniedAt + int64(max(g.RetryAfter, time.Duration(b.lease)*b.lim.Interval()))
	}
	b.fetching = false
	b.cond.Broadcast()
}

// outage decides once the lease is spent while Redis is unreachable.
func (l *Limiter) outage(b *bucket, now int64) (Verdict, time.Duration) {
	switch l.opts.Outage {
	case OutageOpen:
		return Admitted, 0
	case OutageClosed:
		return LimiterDown, l.opts.ProbeEvery
	}
	ok, retry := gcra.Allow(&b.localTAT, now, gcra.Limit{Interval: b.lim.Interval(), Burst: b.lim.Burst})
	if !ok {
		return OverRate, retry
	}
	return Admitted, 0
}

// probe pings Redis while it is considered unreachable.
func (l *Limiter) probe() {
	if !l.down.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(l.ctx, l.opts.Timeout)
	defer cancel()
	if err := l.src.Ping(ctx); err == nil {
		l.down.Store(false)
		l.opts.Logger.Info("rate limiter: redis reachable again; shared limits resume")
	}
}

// sweep drops keys idle for IdleAfter, with nothing running or in flight.
func (l *Limiter) sweep() {
	cutoff := l.opts.Now().Add(-l.opts.IdleAfter).UnixNano()
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for id, b := range s.m {
			b.mu.Lock()
			idle := b.used < cutoff && !b.fetching && b.inflight.Load() == 0
			b.mu.Unlock()
			if idle {
				delete(s.m, id)
			}
		}
		s.mu.Unlock()
	}
}
