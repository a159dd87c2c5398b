package proxy

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/keycache"
	"reportgate/policy"
	"reportgate/ratelimit"
	"reportgate/registry"
	"reportgate/upstream"
)

// state is one request's working memory, pooled so that a cache hit
// allocates nothing. Nothing in it outlives the handler.
type state struct {
	// ctx carries the current step's span when tracing; it is never the
	// *fasthttp.RequestCtx (see serve).
	ctx      context.Context
	start    time.Time
	upStart  time.Duration // time spent upstream
	req      policy.Request
	hdr      headerScan
	resp     headerScan // the response's hop-by-hop names (scrubResponse)
	rawPath  []byte
	rawQuery []byte
	who      *keycache.Principal
	adm      ratelimit.Admission // released when the request ends
	retry    time.Duration       // a refusal's Retry-After
	limited  bool                // refused by the key's rate limit: X-RateLimit-* too
	num      []byte              // scratch for formatting header values
	line     []byte              // the access-log line (AccessLog)
	// out is the query sent upstream; uri the request target built from it.
	out, uri []byte
	// answered is set when the gateway answered without the upstream.
	answered bool
	decision string
	class    class // of a refusal: its metric family
	// call is the context of the policy's upstream reads, naming the key
	// they are for (its fair share of the operator's budget pays).
	call upstream.Call
	// via is how the forwarded request was answered; refetched is set once
	// a cached answer that failed its scope check was read again.
	via       upstream.Via
	forwarded bool
	refetched bool
}

func (s *state) reset(now time.Time) {
	s.ctx, s.start, s.upStart = nil, now, 0
	s.req = policy.Request{}
	s.rawPath, s.rawQuery, s.who = nil, nil, nil
	s.adm, s.retry, s.limited = ratelimit.Admission{}, 0, false
	s.out, s.uri = s.out[:0], s.uri[:0]
	s.answered, s.decision, s.class = false, "", noClass
	s.call = upstream.Call{}
	s.via, s.forwarded, s.refetched = upstream.Sent, false, false
}

// serve is the fasthttp handler: the pipeline of docs/design.md §3, in order.
func (p *Proxy) serve(ctx *fasthttp.RequestCtx) {
	st := p.states.Get().(*state)
	st.reset(p.start(ctx))
	// The steps' context is never the RequestCtx itself: fasthttp reuses it
	// once the handler returns, and a context derived from it (a lookup's
	// timeout, a span) can still read it then from a timer's goroutine.
	root, end := p.tel.span(context.Background(), "reportgate.request")
	err := p.pipeline(ctx, root, st)
	if err != nil {
		p.fail(ctx, st, err)
	}
	if p.closing.Load() {
		// fasthttp closes connections itself while it drains, not after
		// the grace (see Shutdown).
		ctx.SetConnectionClose()
	}
	p.record(ctx, st)
	st.adm.Release()
	if p.tel.tracer != nil {
		annotate(root, p.route(st), st.decision, ctx.Response.StatusCode())
	}
	end(err)
	p.states.Put(st)
}

// start is the request's arrival: the time fasthttp read for it when the
// clock is the real one (one clock read fewer per request), else the
// injected clock's.
func (p *Proxy) start(ctx *fasthttp.RequestCtx) time.Time {
	if p.realClock {
		if t := ctx.Time(); !t.IsZero() {
			return t
		}
	}
	return p.opts.Now()
}

// steps are the pipeline of docs/design.md §3 in order (step 3, rate limiting, sits
// between authenticate and authorize); the access log (step 8) follows.
var steps = [...]struct {
	name string
	run  func(*Proxy, *fasthttp.RequestCtx, *state) error
}{
	{"reject", (*Proxy).reject}, {"authenticate", (*Proxy).authenticate},
	{"rate-limit", (*Proxy).rateLimit}, {"authorize", (*Proxy).authorize},
	{"rewrite", (*Proxy).rewrite}, {"forward", (*Proxy).forward}, {"verify", (*Proxy).verify},
}

// pipeline runs the steps in order, each in its own span when tracing.
func (p *Proxy) pipeline(ctx *fasthttp.RequestCtx, root context.Context, st *state) error {
	for _, s := range steps {
		var end func(error)
		st.ctx, end = p.tel.span(root, s.name)
		err := s.run(p, ctx, st)
		end(err)
		if err != nil || st.answered {
			return err
		}
	}
	return nil
}

// reject refuses the ambiguous before anything else (step 1): an absolute
// URI, a path or query the gateway would read differently from someone
// else, an unknown operation, a write, a body on a read, method overrides,
// an oversized page. The upstream will see exactly what was checked here.
func (p *Proxy) reject(ctx *fasthttp.RequestCtx, st *state) error {
	uri := ctx.Request.Header.RequestURI()
	if len(uri) == 0 || uri[0] != '/' {
		return errAbsoluteURI
	}
	st.rawPath, st.rawQuery = uri, nil
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		st.rawPath, st.rawQuery = uri[:i], uri[i+1:]
	}
	method := ctx.Request.Header.Method()
	if err := p.deps.Policy.Match(method, st.rawPath, st.rawQuery, &st.req); err != nil {
		return err
	}
	// -1 is a chunked body; -2 (identity) is fasthttp's "no length given".
	if cl := ctx.Request.Header.ContentLength(); string(method) == fasthttp.MethodGet && (cl > 0 || cl == -1 || len(ctx.Request.Body()) > 0) {
		return errBody
	}
	scanHeaders(&ctx.Request.Header, &st.hdr, p.trusted(ctx))
	if st.hdr.override {
		return errOverride
	}
	if st.hdr.badName {
		return errUnparsable
	}
	return nil
}

func (p *Proxy) trusted(ctx *fasthttp.RequestCtx) bool {
	if len(p.opts.TrustedProxies) == 0 {
		return false
	}
	tcp, ok := ctx.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return false
	}
	addr, ok := netip.AddrFromSlice(tcp.IP)
	return ok && isTrusted(addr.Unmap(), p.opts.TrustedProxies)
}

// authenticate checks the key offline, then through the cache (step 2).
// A key the cache does not know costs its client's address one failed
// authentication, given back if the key exists: an address out of failures
// is refused before its keys could reach Redis, unless they are cached.
func (p *Proxy) authenticate(ctx *fasthttp.RequestCtx, st *state) error {
	switch {
	case st.hdr.keys == 0:
		return errNoKey
	case st.hdr.keys > 1:
		return errTwoKeys
	case !registry.CheckKeyFormat(st.hdr.key):
		p.authFailed(ctx, st)
		return errBadKey // garbage never reaches Redis
	case st.hdr.workspaces == 0:
		return errNoWorkspace
	case st.hdr.workspaces > 1:
		return errTwoWorkspace
	case string(st.hdr.workspace) != p.opts.Workspace:
		p.authFailed(ctx, st)
		return errWorkspace
	}
	who, err := p.deps.Keys.Cached(st.hdr.key, st.start)
	switch {
	case err == keycache.ErrNotCached:
		who, err = p.lookup(ctx, st)
	case errors.Is(err, keycache.ErrUnknownKey):
		p.authFailed(ctx, st)
	}
	// A key bound to a client certificate and presented without it is
	// unknown, whatever its status: before the inactive key's 403.
	if who != nil && !p.presented(ctx, who) {
		p.authFailed(ctx, st)
		return errClientCert
	}
	if err != nil {
		return err
	}
	st.who = who
	return nil
}

// lookup asks the registry about a key the cache does not know, with one of
// the client's failed authentications reserved.
func (p *Proxy) lookup(ctx *fasthttp.RequestCtx, st *state) (*keycache.Principal, error) {
	addr := p.clientAddr(ctx)
	retry, ok := p.throttle.reserve(addr, st.start.UnixNano())
	if !ok {
		st.retry = retry
		return nil, p.answers.auth
	}
	who, err := p.deps.Keys.Authenticate(st.ctx, st.hdr.key, st.start)
	if !errors.Is(err, keycache.ErrUnknownKey) {
		p.throttle.refund(addr) // found, or not answered: not a failure
	}
	return who, err
}

func (p *Proxy) authFailed(ctx *fasthttp.RequestCtx, st *state) {
	p.throttle.failed(p.clientAddr(ctx), st.start.UnixNano())
}

// authorize asks the policy what to do with the request (step 4) and
// carries out every decision but Forward, which the next steps do.
func (p *Proxy) authorize(ctx *fasthttp.RequestCtx, st *state) error {
	who := st.who
	st.call = upstream.Call{Context: st.ctx, KeyID: who.ID}
	d := p.deps.Policy.Decide(&st.call, policy.Caller{KeyID: who.ID, Generation: who.Generation, Entities: who.Entities},
		&st.req, ctx.Method(), ctx.Request.Body(), st.out[:0])
	st.decision = d.Name
	switch d.Kind {
	case policy.Forward:
		st.out = d.Query
		return nil
	case policy.Answer:
		ctx.Response.SetStatusCode(d.Status)
		if len(d.Body) > 0 {
			ctx.Response.Header.SetContentType("application/json")
			ctx.Response.SetBodyRaw(d.Body)
		}
		st.answered = true
		return nil
	case policy.NotFound:
		return p.notFoundFor(&st.req)
	}
	p.logRefusal(st, d.Err)
	return d.Err
}

// logRefusal records why the policy refused a request it could not decide
// (the refusals a partner causes, a denied operation or a scan limit, are
// in the access log already).
func (p *Proxy) logRefusal(st *state, err error) {
	var denied *policy.DeniedError
	_, refused := errors.AsType[*ratelimit.Refusal](err)
	switch {
	case errors.As(err, &denied) || errors.Is(err, policy.ErrScanLimit) || refused:
		return
	case classifyUpstream(err) != nil:
		p.logUpstream(st, err)
		return
	}
	p.opts.Logger.Warn("request not decided", "route", st.req.Route(), "key_id", st.who.ID, "err", err)
}

// logUpstream records an upstream failure, whichever step met it: the
// route, the key, and the upstream's status and message when it answered
// (upstream.StatusError holds no secret), else the error.
func (p *Proxy) logUpstream(st *state, err error) {
	keyID := ""
	if st.who != nil {
		keyID = st.who.ID
	}
	if se, ok := errors.AsType[*upstream.StatusError](err); ok {
		p.opts.Logger.Warn("upstream failed", "route", st.req.Route(), "key_id", keyID,
			"upstream_status", se.Status, "upstream_message", se.Message)
		return
	}
	if ue, ok := errors.AsType[*policy.UpstreamError](err); ok {
		p.opts.Logger.Warn("upstream failed", "route", st.req.Route(), "key_id", keyID, "upstream_status", ue.Status)
		return
	}
	p.opts.Logger.Warn("upstream failed", "route", st.req.Route(), "key_id", keyID, "err", err)
}

// rewrite strips, then adds (step 5): every header the scan marked goes,
// then the operator credentials and the target with the checked query.
func (p *Proxy) rewrite(ctx *fasthttp.RequestCtx, st *state) error {
	applyDeletes(&ctx.Request.Header, &st.hdr)
	st.uri = append(st.uri, st.rawPath...)
	if len(st.out) > 0 {
		st.uri = append(st.uri, '?')
		st.uri = append(st.uri, st.out...)
	}
	ctx.Request.SetRequestURIBytes(st.uri)
	p.up.Prepare(&ctx.Request)
	return nil
}

// forward sends the rewritten request and reads the answer (step 6), or
// gets an identical read's answer, in flight or cached.
func (p *Proxy) forward(ctx *fasthttp.RequestCtx, st *state) error {
	t := time.Now()
	via, err := p.up.Forward(st.who.ID, &ctx.Request, &ctx.Response)
	st.upStart += time.Since(t)
	st.via, st.forwarded = via, true
	if via == upstream.Sent {
		p.tel.observeUpstream(time.Since(t))
	}
	if err != nil {
		if _, refused := errors.AsType[*ratelimit.Refusal](err); !refused {
			p.logUpstream(st, err)
		}
		return err
	}
	scrubResponse(&ctx.Response.Header, &st.resp)
	ctx.Response.Header.ResetConnectionClose()
	if st.hdr.clientClose {
		ctx.SetConnectionClose()
	}
	return nil
}

// verify withholds any body the scope does not cover (step 7), in the
// step's context so that the checks' upstream reads are traced with it
// (and paid for by the key). A cached answer is checked like a fresh one;
// one that fails (the scope changed since it was cached) is dropped from
// the cache and read again, once.
func (p *Proxy) verify(ctx *fasthttp.RequestCtx, st *state) error {
	resp := &ctx.Response
	status := resp.StatusCode()
	st.call.Context = st.ctx
	err := p.deps.Policy.Verify(&st.call, &st.req, status, resp.Header.ContentEncoding(), resp.Body())
	if err == nil {
		return nil
	}
	if st.via == upstream.Cached && !st.refetched && !errors.Is(err, policy.ErrHidden) {
		st.refetched = true
		p.up.Forget(&ctx.Request)
		p.opts.Logger.Info("cached answer failed its scope check: read again", "route", st.req.Route(), "key_id", st.who.ID)
		if err := p.forward(ctx, st); err != nil {
			return err
		}
		return p.verify(ctx, st)
	}
	return p.withhold(st, status, err)
}

// withhold answers an answer that failed verification.
func (p *Proxy) withhold(st *state, status int, err error) error {
	route, keyID := st.req.Route(), st.who.ID
	var v *policy.Violation
	switch {
	case errors.Is(err, policy.ErrHidden):
		return p.notFoundFor(&st.req) // one body for missing and out of scope
	case errors.As(err, &v):
		p.opts.Logger.Error("scope violation withheld", "route", route, "key_id", keyID,
			"field", v.Field, "id", v.ID, "set", v.Set.String())
		return errVerify
	case errors.Is(err, policy.ErrUnverifiableStatus):
		p.opts.Logger.Error("unverifiable upstream status withheld", "route", route, "key_id", keyID, "status", status)
		return errMalformed
	case errors.Is(err, policy.ErrEncodedBody):
		return errEncoding
	case classifyUpstream(err) != nil: // a read of the check's own failed (NFT collections)
		p.logUpstream(st, err)
		return err
	}
	p.opts.Logger.Error("unverifiable upstream body withheld", "route", route, "key_id", keyID, "err", err)
	return errMalformed
}

// upstreamRetry is the delay the upstream's 420 asked for, 1 s when it
// named none.
func upstreamRetry(err error) time.Duration {
	if se, ok := errors.AsType[*upstream.StatusError](err); ok && se.RetryAfter > 0 {
		return se.RetryAfter
	}
	return time.Second
}

// fail answers err in the upstream's Error shape.
func (p *Proxy) fail(ctx *fasthttp.RequestCtx, st *state, err error) {
	ae := classify(err)
	if r, ok := errors.AsType[*ratelimit.Refusal](err); ok {
		ae, st.retry = p.answers.budget(r.Reason), r.RetryAfter
	}
	st.decision, st.class = ae.reason, ae.class
	if ae == errUpstreamLimited {
		st.retry = upstreamRetry(err)
	}
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(ae.status)
	if ae.status == statusRateLimited {
		ctx.Response.Header.SetStatusMessage(reason420)
	}
	ctx.Response.Header.SetContentType("application/json")
	ctx.Response.SetBodyRaw(ae.body())
	if st.retry > 0 {
		p.retryHeaders(ctx, st)
	}
	if st.hdr.clientClose {
		ctx.SetConnectionClose()
	}
}
