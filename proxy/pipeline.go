package proxy

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"reportgate/keycache"
	"reportgate/ratelimit"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/policy"
	"reportgate/registry"
)

// state is one request's working memory, pooled so that a cache hit
// allocates nothing. Nothing in it outlives the handler.
type state struct {
	// ctx carries the current step's span when tracing; else the request.
	ctx      context.Context
	start    time.Time
	upStart  time.Duration // time spent upstream
	ep       *policy.Endpoint
	rule     *policy.Rule
	qs       *policy.QuerySpec
	paramIdx int
	params   policy.PathParams
	query    policy.Query
	hdr      headerScan
	resp     headerScan // the response's hop-by-hop names (scrubResponse)
	rawPath  []byte
	rawQuery []byte
	who      *keycache.Principal
	adm      ratelimit.Admission // released when the request ends
	retry    time.Duration       // a refusal's Retry-After
	limited  bool                // refused by the key's rate limit: X-RateLimit-* too
	num      []byte              // scratch for formatting header values
	scope    *policy.Scope
	// out is the query sent upstream; uri the request target built from it.
	out, uri []byte
	// answered is set when the gateway answered without the upstream.
	answered bool
	decision string
}

func (s *state) reset(now time.Time) {
	s.ctx, s.start, s.upStart = nil, now, 0
	s.ep, s.rule, s.qs, s.paramIdx = nil, nil, nil, -1
	s.rawPath, s.rawQuery, s.who, s.scope = nil, nil, nil, nil
	s.adm, s.retry, s.limited = ratelimit.Admission{}, 0, false
	s.out, s.uri = s.out[:0], s.uri[:0]
	s.answered, s.decision = false, ""
}

// serve is the fasthttp handler: the pipeline of DESIGN §3, in order.
func (p *Proxy) serve(ctx *fasthttp.RequestCtx) {
	st := p.states.Get().(*state)
	st.reset(p.opts.Now())
	root, end := p.tel.span(ctx, "reportgate.request")
	err := p.pipeline(ctx, root, st)
	if err != nil {
		p.fail(ctx, st, err)
	}
	p.record(ctx, st)
	st.adm.Release()
	if p.tel.tracer != nil {
		annotate(root, p.route(st), st.decision, ctx.Response.StatusCode())
	}
	end(err)
	p.states.Put(st)
}

// steps are the pipeline of DESIGN §3 in order (step 3, rate limiting, sits
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
	ep, err := p.deps.Router.Match(st.rawPath, &st.params)
	if err != nil {
		return err
	}
	st.ep = ep
	method := ctx.Request.Header.Method()
	st.rule, st.qs, st.paramIdx = ep.Lookup(method)
	switch {
	case st.rule == nil && string(method) == fasthttp.MethodGet:
		return newError(405, "method", "%s does not take GET", ep.Template)
	case st.rule == nil, string(method) != fasthttp.MethodGet && st.rule.Strategy != policy.Gateway:
		return errReadOnly
	}
	// -1 is a chunked body; -2 (identity) is fasthttp's "no length given".
	if cl := ctx.Request.Header.ContentLength(); string(method) == fasthttp.MethodGet && (cl > 0 || cl == -1 || len(ctx.Request.Body()) > 0) {
		return errBody
	}
	if st.qs != nil {
		if err := st.qs.Parse(st.rawQuery, &st.query); err != nil {
			return err
		}
		if st.query.HasPageSize && (st.query.PageSize < 1 || st.query.PageSize > int64(p.opts.MaxPageSize)) {
			return newError(400, "page_size", "page_size must be between 1 and %d (0 and -1 are refused: the upstream's maximum is not published)", p.opts.MaxPageSize)
		}
	}
	scanHeaders(&ctx.Request.Header, &st.hdr, p.trusted(ctx))
	if st.hdr.override {
		return errOverride
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
	who, err := p.deps.Keys.Cached(st.hdr.key)
	switch {
	case err == keycache.ErrNotCached:
		who, err = p.lookup(ctx, st)
	case errors.Is(err, keycache.ErrUnknownKey):
		p.authFailed(ctx, st)
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
	who, err := p.deps.Keys.Authenticate(st.ctx, st.hdr.key)
	if !errors.Is(err, keycache.ErrUnknownKey) {
		p.throttle.refund(addr) // found, or not answered: not a failure
	}
	return who, err
}

func (p *Proxy) authFailed(ctx *fasthttp.RequestCtx, st *state) {
	p.throttle.failed(p.clientAddr(ctx), st.start.UnixNano())
}

// authorize applies the operation's strategy (step 4).
func (p *Proxy) authorize(ctx *fasthttp.RequestCtx, st *state) error {
	r := st.rule
	st.decision = r.Strategy.String()
	switch r.Strategy {
	case policy.Deny:
		return newError(403, "denied", "%s: %s", st.ep.Template, r.Reason)
	case policy.Global:
		if p.opts.DenyReferenceData {
			return newError(403, "denied", "%s: reference data is disabled on this gateway", st.ep.Template)
		}
		st.out = append(st.out, st.rawQuery...)
		return nil
	case policy.Gateway:
		return p.notifications(ctx, st)
	}
	scope, err := p.deps.Resolver.Scope(st.ctx, st.who.Entities)
	if err != nil {
		p.opts.Logger.Warn("scope unresolved", "key_id", st.who.ID, "err", err)
		return errScopeFailed
	}
	st.scope = scope
	switch r.Strategy {
	case policy.Inject:
		return p.inject(ctx, st)
	case policy.ScopedList:
		return p.scopedList(ctx, st)
	case policy.Path:
		if !scope.Has(r.Set, st.params.Int(st.paramIdx)) {
			return p.notFoundFor(st.ep)
		}
	case policy.Owner:
		if err := p.checkOwner(st.ctx, st); err != nil {
			return err
		}
	}
	st.out = append(st.out, st.rawQuery...)
	return nil
}

func (p *Proxy) checkOwner(ctx context.Context, st *state) error {
	ow, err := p.deps.Owners.Lookup(ctx, st.rule.Owner, st.params.Int(st.paramIdx))
	switch {
	case errors.Is(err, policy.ErrObjectNotFound):
		return p.notFoundFor(st.ep)
	case err != nil:
		p.opts.Logger.Warn("owner lookup failed", "route", st.ep.Template, "err", err)
		var ue *policy.UpstreamError
		if errors.As(err, &ue) {
			return errUpstream
		}
		return err
	}
	if !policy.TargetInScope(st.scope, ow.Kind, ow.ID, p.deps.Owners) {
		return p.notFoundFor(st.ep)
	}
	return nil
}

// inject intersects the caller's scope filter with the scope, or injects
// the scope when the caller gave none; an empty intersection is answered
// here with an empty page.
func (p *Proxy) inject(ctx *fasthttp.RequestCtx, st *state) error {
	var empty bool
	if st.out, empty = st.qs.Inject(st.out, &st.query, st.scope); empty {
		return p.emptyPage(ctx, st)
	}
	return nil
}

// scopedList answers a list the gateway builds itself (DESIGN §4).
func (p *Proxy) scopedList(ctx *fasthttp.RequestCtx, st *state) error {
	var page, size int64
	var empty bool
	if st.out, page, size, empty = st.qs.ListFilters(st.out, &st.query, st.scope); empty {
		return p.emptyPage(ctx, st)
	}
	body, err := p.deps.Lister.Page(st.ctx, policy.ListRequest{
		Path: st.ep.Template, KeyID: st.who.ID, KeyGen: st.who.Generation,
		Filters: st.out, Page: page, Size: size, Check: st.rule.Verify, Scope: st.scope,
	})
	if errors.Is(err, policy.ErrScanLimit) {
		return newError(400, "scan_limit", "%v", err)
	}
	if err != nil {
		p.opts.Logger.Warn("scoped list failed", "route", st.ep.Template, "err", err)
		return errUpstream
	}
	ctx.Response.SetStatusCode(fasthttp.StatusOK)
	ctx.Response.Header.SetContentType("application/json")
	ctx.Response.SetBodyRaw(body)
	st.answered = true
	return nil
}

var emptyPageBody = []byte(`{"edges":[],"page_info":{"count":0,"has_next_page":false}}`)

func (p *Proxy) emptyPage(ctx *fasthttp.RequestCtx, st *state) error {
	ctx.Response.SetStatusCode(fasthttp.StatusOK)
	ctx.Response.Header.SetContentType("application/json")
	ctx.Response.SetBodyRaw(emptyPageBody)
	st.answered, st.decision = true, "empty"
	return nil
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

// forward sends the rewritten request and reads the answer (step 6).
func (p *Proxy) forward(ctx *fasthttp.RequestCtx, st *state) error {
	t := time.Now()
	err := p.up.Do(&ctx.Request, &ctx.Response)
	st.upStart = time.Since(t)
	p.tel.observeUpstream(st.upStart)
	if err != nil {
		p.opts.Logger.Warn("upstream failed", "route", st.ep.Template, "err", err)
		return err
	}
	scrubResponse(&ctx.Response.Header, &st.resp)
	ctx.Response.Header.ResetConnectionClose()
	if st.hdr.clientClose {
		ctx.SetConnectionClose()
	}
	return nil
}

// verify withholds any body the scope does not cover (step 7).
func (p *Proxy) verify(ctx *fasthttp.RequestCtx, st *state) error {
	status := ctx.Response.StatusCode()
	switch {
	case status == fasthttp.StatusNotFound && (st.rule.Strategy == policy.Path || st.rule.Strategy == policy.Owner):
		return p.notFoundFor(st.ep) // one body for missing and out of scope
	case status > fasthttp.StatusOK && status < fasthttp.StatusBadRequest && st.scope != nil:
		// The upstream answers data with 200 only: another success or a
		// redirect would carry what no check has seen.
		p.opts.Logger.Error("unverifiable upstream status withheld", "route", st.ep.Template, "key_id", st.who.ID, "status", status)
		return errMalformed
	case status != fasthttp.StatusOK || st.rule.Verify.Shape == policy.NoCheck || st.scope == nil:
		return nil
	}
	if ce := ctx.Response.Header.ContentEncoding(); len(ce) > 0 && string(ce) != "identity" {
		return errEncoding
	}
	var parent int64 // the id a Path or Owner rule checked: sub-resources belong to it
	if st.paramIdx >= 0 {
		parent = st.params.Int(st.paramIdx)
	}
	err := p.deps.Verifier.Verify(ctx, ctx.Response.Body(), st.rule.Verify, st.scope, parent)
	if err == nil {
		return nil
	}
	var v *policy.Violation
	if errors.As(err, &v) {
		p.opts.Logger.Error("scope violation withheld", "route", st.ep.Template, "key_id", st.who.ID,
			"field", v.Field, "id", v.ID, "set", v.Set.String())
		return errVerify
	}
	p.opts.Logger.Error("unverifiable upstream body withheld", "route", st.ep.Template, "key_id", st.who.ID, "err", err)
	return errMalformed
}

// fail answers err in the upstream's Error shape.
func (p *Proxy) fail(ctx *fasthttp.RequestCtx, st *state, err error) {
	ae := classify(err)
	st.decision = ae.reason
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
