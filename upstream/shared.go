package upstream

import (
	"context"
	"errors"
	"hash/maphash"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/ratelimit"
)

// Budget is the operator's upstream budget (ratelimit.Shared implements
// it).
type Budget interface {
	// Admit is asked before each upstream request on behalf of keyID ("" for
	// the gateway's own): nil, or the refusal (*ratelimit.Refusal) the
	// caller answers.
	Admit(keyID string, now time.Time) error
	// Pause stops upstream requests for d on every replica: the upstream
	// answered 420 with Retry-After d.
	Pause(d time.Duration)
}

var _ Budget = (*ratelimit.Shared)(nil)

// SharedOptions configure a Shared client. Zero values mean the documented
// defaults.
type SharedOptions struct {
	// CacheTTL is how long an upstream 200 answer is served again to the
	// reads identical to the one that fetched it. 0 (the default): no
	// cache; identical reads in flight are still coalesced.
	CacheTTL time.Duration
	// CacheBytes bounds the cache's memory (keys, headers and bodies). An
	// answer over a sixteenth of it is not kept. Default 64 MiB.
	CacheBytes int64
	// Budget, when set, is asked before every upstream request and paused
	// by the upstream's 420s. Nil: no budget.
	Budget Budget
	// Now is the clock of the cache and the budget. Default time.Now.
	Now func() time.Time
}

// DefaultCacheBytes is SharedOptions.CacheBytes's default.
const DefaultCacheBytes = 64 << 20

// Via is how an answer was obtained.
type Via uint8

const (
	// Sent: the request was sent upstream.
	Sent Via = iota
	// Joined: an identical read was in flight; its answer was shared.
	Joined
	// Cached: the answer came from the cache.
	Cached
)

// Shared is the Client as every part of the gateway shares it: the proxy's
// forwarded requests (Forward) and the policy's reads (Fetch) go through it.
// Identical reads in flight share one exchange; with a cache, a 200 answer
// serves the identical reads for CacheTTL; with a budget, every request
// that does reach the upstream is admitted by it first, on behalf of the
// key it is for (WithKey), and an upstream 420 pauses the budget. It
// decides nothing about scope: whoever receives a shared or cached answer
// checks it as it checks a fresh one. Safe for concurrent use.
type Shared struct {
	c       *Client
	opts    SharedOptions
	flights *flights
	cache   *cache // nil without CacheTTL
	seed    maphash.Seed
	// epoch counts purges: an answer to a request sent before one is
	// neither cached nor shared with a read that starts after it.
	epoch atomic.Uint64
	keys  sync.Pool // *[]byte scratch for readKey

	joined, hits, limited atomic.Uint64
}

// NewShared returns c shared as o says; it takes over c's readiness read,
// which then goes through the budget.
func NewShared(c *Client, o SharedOptions) (*Shared, error) {
	if o.CacheTTL < 0 || o.CacheBytes < 0 {
		return nil, errors.New("upstream: CacheTTL and CacheBytes must not be negative")
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Shared{c: c, opts: o, flights: newFlights(), seed: maphash.MakeSeed()}
	if o.CacheTTL > 0 {
		s.cache = newCache(o.CacheTTL, o.CacheBytes)
	}
	s.keys.New = func() any { return new([]byte) }
	c.checkFetch = func(ctx context.Context, p string) (int, []byte, error) { return s.fetch(ctx, p, true) }
	return s, nil
}

// Client is the client underneath.
func (s *Shared) Client() *Client { return s.c }

// Prepare is the client's (see Client.Prepare).
func (s *Shared) Prepare(req *fasthttp.Request) { s.c.Prepare(req) }

// Close and Abort are the client's.
func (s *Shared) Close() { s.c.Close() }
func (s *Shared) Abort() { s.c.Abort() }

// Forward sends a partner's prepared request on behalf of keyID and reads
// the answer into resp, unless an identical read is in flight (Joined) or
// cached (Cached), whose answer resp then holds. Errors are Do's, and a
// *ratelimit.Refusal when the budget refused the request. Without a cache,
// a read nobody joins allocates nothing here.
func (s *Shared) Forward(keyID string, req *fasthttp.Request, resp *fasthttp.Response) (Via, error) {
	return s.read(keyID, false, req, resp, time.Time{})
}

// Fetch is Client.Fetch through the coalescing, the cache and the budget,
// on behalf of the key ctx names (WithKey), or of the gateway itself.
func (s *Shared) Fetch(ctx context.Context, pathAndQuery string) (int, []byte, error) {
	return s.fetch(ctx, pathAndQuery, false)
}

// Uncached reads like Fetch but never from the cache; reads in flight are
// joined only when they started after the last purge. Scope resolution
// reads through it: a snapshot rebuilt after an invalidation must see the
// upstream as it is now.
type Uncached struct{ s *Shared }

// Uncached returns s's uncached reader.
func (s *Shared) Uncached() Uncached { return Uncached{s} }

// Fetch is Shared.Fetch without the cache.
func (u Uncached) Fetch(ctx context.Context, pathAndQuery string) (int, []byte, error) {
	return u.s.fetch(ctx, pathAndQuery, true)
}

func (s *Shared) fetch(ctx context.Context, pathAndQuery string, fresh bool) (int, []byte, error) {
	req, resp := s.c.fetchRequest(pathAndQuery), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	if _, err := s.read(KeyOf(ctx), fresh, req, resp, s.c.deadline(ctx)); err != nil {
		return 0, nil, err
	}
	return s.c.data(resp)
}

// Forget drops the cached answer to req, which its reader could not use
// (it failed the scope check: the scope changed since it was cached).
func (s *Shared) Forget(req *fasthttp.Request) {
	if s.cache == nil {
		return
	}
	kb := s.keys.Get().(*[]byte)
	defer s.keys.Put(kb)
	key, _, _ := readKey((*kb)[:0], req)
	*kb = key[:0]
	s.cache.forget(maphash.Bytes(s.seed, key), key)
}

// Purge drops the cached answers to the requests whose target's first two
// path segments are one of heads ("/transactions/12" drops the transaction
// and its sub-resources, "/transactions" its lists), and stops every read
// in flight from being cached or joined.
func (s *Shared) Purge(heads ...string) {
	s.epoch.Add(1)
	if s.cache != nil {
		s.cache.purge(heads)
	}
}

// PurgeAll drops every cached answer, and stops every read in flight from
// being cached or joined.
func (s *Shared) PurgeAll() {
	s.epoch.Add(1)
	if s.cache != nil {
		s.cache.purgeAll()
	}
}

// read is the one path of every upstream read: the cache, then a flight
// in progress, then an exchange of its own that others may join.
func (s *Shared) read(keyID string, fresh bool, req *fasthttp.Request, resp *fasthttp.Response, deadline time.Time) (Via, error) {
	kb := s.keys.Get().(*[]byte)
	defer s.keys.Put(kb)
	key, share, cacheable := readKey((*kb)[:0], req)
	*kb = key[:0]
	if !share {
		return Sent, s.send(keyID, req, resp, deadline)
	}
	now := s.opts.Now()
	h := maphash.Bytes(s.seed, key)
	cacheable = cacheable && s.cache != nil
	if cacheable && !fresh {
		if a := s.cache.get(h, key, now.UnixNano()); a != nil {
			a.writeTo(resp)
			s.hits.Add(1)
			return Cached, nil
		}
	}
	// A follower whose leader could not share goes again, once as a
	// possible leader, then alone.
	for attempt := 0; ; attempt++ {
		epoch := s.epoch.Load()
		fh := h ^ (epoch * 0x9e3779b97f4a7c15)
		f, lead := s.flights.join(fh, key, epoch)
		if !lead {
			o, a, err := f.wait()
			s.flights.release(f)
			if o == shared {
				if a != nil {
					a.writeTo(resp)
				}
				s.joined.Add(1)
				return Joined, err
			}
			if attempt == 0 {
				continue
			}
			f = nil
		}
		err := s.send(keyID, req, resp, deadline)
		s.land(f, fh, h, key, req, resp, err, cacheable, epoch, now)
		return Sent, err
	}
}

// land shares the leader's answer with its followers and keeps it in the
// cache when it may be. f is nil for a read that went alone. A failure is
// shared like an answer; a refusal of the budget is not (the followers may
// have budget of their own), nor an answer that is not for sharing.
func (s *Shared) land(f *flight, fh, h uint64, key []byte, req *fasthttp.Request, resp *fasthttp.Response,
	err error, cacheable bool, epoch uint64, sent time.Time) {
	joined := 0
	if f != nil {
		joined = s.flights.close(fh, f)
	}
	o, a := alone, (*answer)(nil)
	_, refused := errors.AsType[*ratelimit.Refusal](err)
	switch {
	case refused:
	case err != nil:
		o = shared
	case joined > 0 || cacheable:
		share, store := shareable(resp)
		if !share {
			break
		}
		a, o = snapshot(resp), shared
		if store && cacheable {
			s.cache.put(h, key, req.Header.RequestURI(), a, sent.UnixNano(), s.opts.Now().UnixNano(),
				func() bool { return s.epoch.Load() == epoch })
		}
	}
	if f != nil {
		s.flights.land(f, o, a, err)
	}
}

// send asks the budget, then the upstream; an upstream 420 pauses the
// budget for its Retry-After (1 s when it names none).
func (s *Shared) send(keyID string, req *fasthttp.Request, resp *fasthttp.Response, deadline time.Time) error {
	b := s.opts.Budget
	if b != nil {
		if err := b.Admit(keyID, s.opts.Now()); err != nil {
			return err
		}
	}
	err := s.c.exchange(req, resp, deadline)
	if err == nil && resp.StatusCode() == StatusRateLimited {
		s.limited.Add(1)
		if b != nil {
			b.Pause(retryAfter(resp))
		}
	}
	return err
}

// retryAfter is an answer's Retry-After in seconds, 1 s when it has none.
func retryAfter(resp *fasthttp.Response) time.Duration {
	if n, err := strconv.Atoi(string(resp.Header.Peek(fasthttp.HeaderRetryAfter))); err == nil && n > 0 {
		return time.Duration(min(n, 86400)) * time.Second
	}
	return time.Second
}

// SharedStats are the counters since start.
type SharedStats struct {
	// Joined and Cached count the reads answered without an exchange of
	// their own: upstream calls saved.
	Joined, Cached uint64
	// RateLimited counts the upstream's 420 answers.
	RateLimited uint64
	// CacheBytes and CacheEntries are what the cache holds now.
	CacheBytes, CacheEntries int64
}

// Stats returns the counters.
func (s *Shared) Stats() SharedStats {
	st := SharedStats{Joined: s.joined.Load(), Cached: s.hits.Load(), RateLimited: s.limited.Load()}
	if s.cache != nil {
		st.CacheBytes, st.CacheEntries = s.cache.bytes.Load(), s.cache.entries.Load()
	}
	return st
}
