package proxy

import (
	"bytes"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/valyala/fasthttp"

	"reportgate/internal/gcra"
	"reportgate/ratelimit"
)

// RateLimiter decides whether an authenticated key may go on
// (ratelimit.Limiter implements it).
type RateLimiter interface {
	Admit(keyID string, lim ratelimit.Limit, now time.Time) ratelimit.Admission
}

var _ RateLimiter = (*ratelimit.Limiter)(nil)

// rateLimit is step 3: the key's rate and concurrency limits. A refusal is
// answered like the upstream's own: the configured status (420 by default)
// with X-RateLimit-* and Retry-After (see fail).
func (p *Proxy) rateLimit(_ *fasthttp.RequestCtx, st *state) error {
	if p.deps.Limiter == nil {
		return nil
	}
	st.adm = p.deps.Limiter.Admit(st.who.ID, st.who.RateLimit, st.start)
	switch st.adm.Verdict {
	case ratelimit.Admitted:
		return nil
	case ratelimit.OverConcurrency:
		st.retry = st.adm.RetryAfter
		return p.answers.concurrency
	case ratelimit.LimiterDown:
		st.retry = st.adm.RetryAfter
		return errLimiterDown
	}
	st.retry, st.limited = st.adm.RetryAfter, true
	return p.answers.rate
}

var (
	hdrLimit      = []byte("X-RateLimit-Limit")
	hdrRemaining  = []byte("X-RateLimit-Remaining")
	hdrReset      = []byte("X-RateLimit-Reset")
	hdrRetryAfter = []byte("Retry-After")
	zero          = []byte("0")
)

// retryHeaders adds Retry-After (whole seconds, at least 1) to a refusal
// and, for a key's rate limit, X-RateLimit-Limit (requests per the key's
// period), X-RateLimit-Remaining (0) and X-RateLimit-Reset (the Unix time,
// in seconds, at which a request will be admitted again). Nothing here
// allocates: the numbers are formatted into the state's scratch buffer.
func (p *Proxy) retryHeaders(ctx *fasthttp.RequestCtx, st *state) {
	secs := int64((st.retry + time.Second - 1) / time.Second)
	secs = max(secs, 1)
	h := &ctx.Response.Header
	st.num = strconv.AppendInt(st.num[:0], secs, 10)
	h.SetBytesKV(hdrRetryAfter, st.num)
	if !st.limited {
		return
	}
	st.num = strconv.AppendInt(st.num[:0], int64(st.adm.Limit.Count), 10)
	h.SetBytesKV(hdrLimit, st.num)
	h.SetBytesKV(hdrRemaining, zero)
	reset := st.start.Add(st.retry)
	st.num = strconv.AppendInt(st.num[:0], (reset.UnixNano()+int64(time.Second)-1)/int64(time.Second), 10)
	h.SetBytesKV(hdrReset, st.num)
}

// authThrottle limits failed authentications per client address, in
// process: an address that spent its budget can still use keys this replica
// has cached, but its other keys are refused without asking Redis until the
// budget refills. Addresses are remembered in an LRU (IPv6 by /64, the
// block one client usually holds). Safe for concurrent use.
type authThrottle struct {
	lim gcra.Limit
	mu  sync.Mutex
	tat *simplelru.LRU[netip.Addr, int64]
}

func newAuthThrottle(lim gcra.Limit, size int) (*authThrottle, error) {
	tat, err := simplelru.NewLRU[netip.Addr, int64](size, nil)
	if err != nil {
		return nil, err
	}
	return &authThrottle{lim: lim, tat: tat}, nil
}

// reserve takes one failure from a's budget before a lookup that may fail,
// or says how long until one is left. Reserving first, under the lock, is
// what keeps concurrent lookups from one address within the budget.
func (t *authThrottle) reserve(a netip.Addr, now int64) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tat, _ := t.tat.Get(a)
	ok, retry := gcra.Allow(&tat, now, t.lim)
	if ok {
		t.tat.Add(a, tat)
	}
	return retry, ok
}

// refund gives back a reservation whose lookup found the key.
func (t *authThrottle) refund(a netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tat, ok := t.tat.Peek(a); ok {
		t.tat.Add(a, tat-int64(t.lim.Interval))
	}
}

// failed charges a failure that cost no lookup (a malformed key, a wrong
// workspace, a key the negative cache knows), if a has budget left.
func (t *authThrottle) failed(a netip.Addr, now int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tat, _ := t.tat.Get(a)
	if ok, _ := gcra.Allow(&tat, now, t.lim); ok {
		t.tat.Add(a, tat)
	}
}

// clientAddr is the address failed authentications are charged to: the
// TCP peer, or, when the peer is a trusted proxy, the rightmost address of
// X-Forwarded-For that is not itself a trusted proxy. IPv6 clients are
// charged by /64, the block one client usually holds.
func (p *Proxy) clientAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	var a netip.Addr
	if tcp, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		a, _ = netip.AddrFromSlice(tcp.IP)
	}
	a = a.Unmap()
	if len(p.opts.TrustedProxies) > 0 && isTrusted(a, p.opts.TrustedProxies) {
		if fwd, ok := p.forwardedForLines(ctx.Request.Header.PeekAll("X-Forwarded-For")); ok {
			a = fwd
		}
	}
	if a.Is6() {
		block, _ := a.Prefix(64)
		return block.Addr()
	}
	return a
}

// forwardedForLines walks X-Forwarded-For from the right past trusted
// proxies, across header lines: several lines are one comma-separated list
// (RFC 9110 §5.3), and a proxy that adds its own line after the client's
// must not let the client's line, the first, decide. A malformed entry stops
// the walk: the peer stays the client.
func (p *Proxy) forwardedForLines(lines [][]byte) (netip.Addr, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		a, found, malformed := p.walkForwarded(lines[i])
		if found || malformed {
			return a, found
		}
	}
	return netip.Addr{}, false
}

// forwardedFor is forwardedForLines for a single line.
func (p *Proxy) forwardedFor(v []byte) (netip.Addr, bool) {
	return p.forwardedForLines([][]byte{v})
}

// walkForwarded reads one X-Forwarded-For line from the right: the first
// address that is not a trusted proxy, or malformed at a bad entry, or
// neither when every entry is a trusted proxy.
func (p *Proxy) walkForwarded(v []byte) (a netip.Addr, found, malformed bool) {
	for len(v) > 0 {
		i := bytes.LastIndexByte(v, ',')
		tok := bytes.TrimSpace(v[i+1:])
		v = v[:max(i, 0)]
		a, err := netip.ParseAddr(string(tok))
		if err != nil {
			return netip.Addr{}, false, true
		}
		if a = a.Unmap(); !isTrusted(a, p.opts.TrustedProxies) {
			return a, true, false
		}
	}
	return netip.Addr{}, false, false
}
