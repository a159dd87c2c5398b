package policy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"reportgate/internal/spec"
)

// Engine is the policy of one gateway: it matches a partner's request
// against the table (Match), decides what happens to it (Decide) and checks
// the upstream's answer (Verify). The proxy carries out what it decides and
// decides nothing about scope itself. Safe for concurrent use.
type Engine struct {
	router   *Router
	resolver *Resolver
	owners   *Owners
	verifier *Verifier
	lister   *Lister
	local    Local
	opts     Config
}

// Local serves the operations the gateway answers itself, per key (the
// Gateway strategy: /notifications/configuration). It answers with a status
// and a JSON body, the upstream's Error shape for a refusal.
type Local interface {
	ServeLocal(ctx context.Context, keyID string, method string, body []byte) (status int, resp []byte)
}

// Config configures an Engine. Zero values mean the documented defaults;
// Upstream and Local are required.
type Config struct {
	// Upstream reads the Ledger API with the operator's credentials, for
	// ownership, scoped lists and verification (through the response
	// cache, when there is one).
	Upstream Upstream
	// ScopeUpstream reads for scope resolution; it must not answer from a
	// cache (a snapshot rebuilt after an invalidation must see the
	// upstream as it is now: upstream.Shared.Uncached). Default Upstream.
	ScopeUpstream Upstream
	// Local answers the Gateway strategy's operations.
	Local Local
	// Snapshots shares scope snapshots between replicas; nil keeps them in
	// process.
	Snapshots SnapshotStore
	// MaxPageSize is the largest page_size accepted. Default 500.
	MaxPageSize int
	// DenyReferenceData refuses the Global routes (currencies, tokens, the
	// certificate chain), which are allowed by default.
	DenyReferenceData bool
	// ScopeMaxAge bounds a scope snapshot's age (ResolverOptions.MaxAge).
	// Default 60s.
	ScopeMaxAge time.Duration
	// MaxScan bounds the upstream objects read for one scoped list
	// (ListerOptions.MaxScan). Default 10000.
	MaxScan int
	// OwnerCacheSize bounds the objects whose owner is remembered. Default
	// 100000.
	OwnerCacheSize int
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger. Default slog.Default().
	Logger *slog.Logger
}

// New builds the engine: the table, compiled against the spec's
// operations, and the scope resolver, owner cache, verifier and scoped-list
// builder reading through cfg.Upstream.
func New(cfg Config) (*Engine, error) {
	if cfg.Upstream == nil || cfg.Local == nil {
		return nil, errors.New("policy: Upstream and Local are required")
	}
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = 500
	}
	if cfg.OwnerCacheSize <= 0 {
		cfg.OwnerCacheSize = 100_000
	}
	d, err := spec.Load()
	if err != nil {
		return nil, err
	}
	rules := Table()
	e := &Engine{local: cfg.Local, opts: cfg}
	if e.router, err = NewRouter(rules, d.Routes); err != nil {
		return nil, err
	}
	if e.owners, err = NewOwners(cfg.Upstream, cfg.OwnerCacheSize); err != nil {
		return nil, err
	}
	scopeUp := cfg.ScopeUpstream
	if scopeUp == nil {
		scopeUp = cfg.Upstream
	}
	e.resolver, err = NewResolver(scopeUp, rules, ResolverOptions{
		MaxAge: cfg.ScopeMaxAge, Store: cfg.Snapshots, Now: cfg.Now, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	if e.lister, err = NewLister(cfg.Upstream, e.owners, ListerOptions{MaxScan: cfg.MaxScan, Now: cfg.Now}); err != nil {
		return nil, err
	}
	e.verifier = NewVerifier(cfg.Upstream, e.owners)
	return e, nil
}

// Resolver is the engine's scope resolver (notification fan-out resolves
// partners' scopes with it; invalidations reach it).
func (e *Engine) Resolver() *Resolver { return e.resolver }

// Owners is the engine's owner cache.
func (e *Engine) Owners() *Owners { return e.owners }

// Endpoints lists the table's endpoints (the proxy renders one 404 body per
// endpoint at start-up).
func (e *Engine) Endpoints() []*Endpoint { return e.router.Endpoints() }

// Request is one partner request as the policy sees it: Match fills it,
// Decide and Verify read it. Its slices alias the partner's request and it
// must not outlive it; the caller pools it (the zero value is ready).
type Request struct {
	ep       *Endpoint
	rule     *Rule
	qs       *QuerySpec
	paramIdx int
	params   PathParams
	query    Query
	rawQuery []byte
	scope    *Scope
}

// Route is the matched path template ("unmatched" before a match): what
// logs and metrics name, never the raw path, whose ids may belong to other
// scopes.
func (r *Request) Route() string {
	if r.ep == nil {
		return "unmatched"
	}
	return r.ep.Template
}

// Matched reports whether Match found the operation.
func (r *Request) Matched() bool { return r.rule != nil }

// Errors of Match besides the router's (ErrUnknownPath, ErrAmbiguousPath,
// ErrBadPathParam) and *QueryError.
var (
	// ErrReadOnly: a write, or a method the operation does not have (403):
	// reporting keys are read-only.
	ErrReadOnly = errors.New("policy: reporting keys are read-only")
)

// MethodError: GET on a path whose operations are all writes (405).
type MethodError struct{ Template string }

func (e *MethodError) Error() string { return e.Template + " does not take GET" }

// PageSizeError: page_size out of 1..Max (400).
type PageSizeError struct{ Max int }

func (e *PageSizeError) Error() string {
	return "page_size must be between 1 and " + strconv.Itoa(e.Max) +
		" (0 and -1 are refused: the upstream's maximum is not published)"
}

// Match finds the operation of method and path, and checks its query
// against the operation's parameters and the page size. It refuses rather
// than normalises (see Router.Match and QuerySpec.Parse) and allocates
// nothing unless it refuses.
func (e *Engine) Match(method, path, rawQuery []byte, r *Request) error {
	r.rule, r.qs, r.paramIdx, r.scope, r.rawQuery = nil, nil, -1, nil, rawQuery
	ep, err := e.router.Match(path, &r.params)
	if err != nil {
		r.ep = nil
		return err
	}
	r.ep = ep
	rule, qs, idx := ep.Lookup(method)
	get := string(method) == "GET"
	switch {
	case rule == nil && get:
		return &MethodError{Template: ep.Template}
	case rule == nil, !get && rule.Strategy != Gateway:
		return ErrReadOnly
	}
	r.rule, r.qs, r.paramIdx = rule, qs, idx
	if qs == nil {
		return nil
	}
	if err := qs.Parse(rawQuery, &r.query); err != nil {
		return err
	}
	if q := &r.query; q.HasPageSize && (q.PageSize < 1 || q.PageSize > int64(e.opts.MaxPageSize)) {
		return &PageSizeError{Max: e.opts.MaxPageSize}
	}
	return nil
}

// Caller is the authenticated key a request is decided for.
type Caller struct {
	KeyID      string
	Generation uint64
	Entities   []int64
}

// Kind is what the proxy does with a Decision.
type Kind uint8

const (
	// Forward: send the request upstream with Decision.Query, then Verify
	// the answer.
	Forward Kind = iota
	// Answer: answer Decision.Status and Decision.Body (JSON) without the
	// upstream.
	Answer
	// NotFound: answer the route's 404, the body of a missing object, so
	// that existence does not leak.
	NotFound
	// Refuse: answer Decision.Err, an error of this package (a denied
	// operation, an unresolvable scope, a scan limit) or of the upstream.
	Refuse
)

// Decision is what the policy decided for one request.
type Decision struct {
	Kind Kind
	// Query is, for Forward, the query string to send upstream (without
	// '?'), built in the buffer Decide was given.
	Query []byte
	// Status and Body are, for Answer, the answer.
	Status int
	Body   []byte
	// Err is, for Refuse, why.
	Err error
	// Name is the decision as logs and metrics record it: the strategy, or
	// "empty" for an empty page answered without the upstream.
	Name string
}

// DeniedError: an operation reporting keys may not call (403).
type DeniedError struct{ Template, Reason string }

func (e *DeniedError) Error() string { return e.Template + ": " + e.Reason }

// ScopeError: the key's scope could not be resolved from the upstream.
type ScopeError struct{ Err error }

func (e *ScopeError) Error() string { return "policy: scope unresolved: " + e.Err.Error() }
func (e *ScopeError) Unwrap() error { return e.Err }

// emptyPage is the answer when the key's scope leaves nothing to ask.
var emptyPage = []byte(`{"edges":[],"page_info":{"count":0,"has_next_page":false}}`)

// Decide applies the operation's strategy for c. method and body are the
// partner's (the Gateway strategy reads them); buf is a buffer the query
// sent upstream is appended to (the caller reuses it: a cache hit allocates
// nothing). Adding a strategy is a change of this function and the table.
func (e *Engine) Decide(ctx context.Context, c Caller, r *Request, method, body, buf []byte) Decision {
	rule := r.rule
	name := rule.Strategy.String()
	switch rule.Strategy {
	case Deny:
		return Decision{Kind: Refuse, Name: name, Err: &DeniedError{Template: r.ep.Template, Reason: rule.Reason}}
	case Global:
		if e.opts.DenyReferenceData {
			return Decision{Kind: Refuse, Name: name,
				Err: &DeniedError{Template: r.ep.Template, Reason: "reference data is disabled on this gateway"}}
		}
		return Decision{Kind: Forward, Name: name, Query: append(buf, r.rawQuery...)}
	case Gateway:
		status, resp := e.local.ServeLocal(ctx, c.KeyID, string(method), body)
		return Decision{Kind: Answer, Name: name, Status: status, Body: resp}
	}
	scope, err := e.resolver.Scope(ctx, c.Entities)
	if err != nil {
		return Decision{Kind: Refuse, Name: name, Err: &ScopeError{Err: err}}
	}
	r.scope = scope
	switch rule.Strategy {
	case Inject:
		q, empty := r.qs.Inject(buf, &r.query, scope)
		if empty {
			return Decision{Kind: Answer, Name: "empty", Status: 200, Body: emptyPage}
		}
		return Decision{Kind: Forward, Name: name, Query: q}
	case ScopedList:
		return e.scopedList(ctx, c, r, buf)
	case Path:
		if !scope.Has(rule.Set, r.params.Int(r.paramIdx)) {
			return Decision{Kind: NotFound, Name: name}
		}
	case Owner:
		if d, done := e.checkOwner(ctx, r); done {
			return d
		}
	}
	return Decision{Kind: Forward, Name: name, Query: append(buf, r.rawQuery...)}
}

// checkOwner decides an Owner rule from the object's owner; done is false
// when the request may go on.
func (e *Engine) checkOwner(ctx context.Context, r *Request) (Decision, bool) {
	name := r.rule.Strategy.String()
	ow, err := e.owners.Lookup(ctx, r.rule.Owner, r.params.Int(r.paramIdx))
	switch {
	case errors.Is(err, ErrObjectNotFound):
		return Decision{Kind: NotFound, Name: name}, true
	case err != nil:
		return Decision{Kind: Refuse, Name: name, Err: fmt.Errorf("policy: owner of %s: %w", r.ep.Template, err)}, true
	case !TargetInScope(r.scope, ow.Kind, ow.ID, e.owners):
		return Decision{Kind: NotFound, Name: name}, true
	}
	return Decision{}, false
}

// scopedList answers a list the gateway builds itself.
func (e *Engine) scopedList(ctx context.Context, c Caller, r *Request, buf []byte) Decision {
	name := r.rule.Strategy.String()
	filters, page, size, empty := r.qs.ListFilters(buf, &r.query, r.scope)
	if empty {
		return Decision{Kind: Answer, Name: "empty", Status: 200, Body: emptyPage}
	}
	body, err := e.lister.Page(ctx, ListRequest{
		Path: r.ep.Template, KeyID: c.KeyID, KeyGen: c.Generation,
		Filters: filters, Page: page, Size: size, Check: r.rule.Verify, Scope: r.scope,
	})
	if err != nil {
		return Decision{Kind: Refuse, Name: name, Err: err}
	}
	return Decision{Kind: Answer, Name: name, Status: 200, Body: body}
}

// Errors of Verify besides *Violation, ErrMalformedBody and upstream
// errors.
var (
	// ErrHidden: the upstream answered 404 on a Path or Owner route: answer
	// the route's own 404, the same body as for an object out of scope.
	ErrHidden = errors.New("policy: the object is missing or out of scope")
	// ErrUnverifiableStatus: a 2xx other than 200 or a 3xx on a scoped
	// route; the upstream answers data with 200 only, so another success or
	// a redirect would carry what no check has seen.
	ErrUnverifiableStatus = errors.New("policy: upstream status cannot be verified")
	// ErrEncodedBody: a content-encoded 200 body, which cannot be checked.
	ErrEncodedBody = errors.New("policy: upstream body is content-encoded")
)

// Verify checks the upstream's answer to a forwarded request against the
// scope Decide resolved (the tripwire): nil when it may be passed on. A 4xx
// passes except as ErrHidden says; a 5xx never does (*UpstreamError: its
// body is the upstream's, not the partner's to read); other statuses as
// ErrUnverifiableStatus says.
func (e *Engine) Verify(ctx context.Context, r *Request, status int, contentEncoding, body []byte) error {
	rule := r.rule
	switch {
	case status >= 500:
		return &UpstreamError{Status: status}
	case status == 404 && (rule.Strategy == Path || rule.Strategy == Owner):
		return ErrHidden
	case status > 200 && status < 400 && r.scope != nil:
		return ErrUnverifiableStatus
	case status != 200 || rule.Verify.Shape == NoCheck || r.scope == nil:
		return nil
	case len(contentEncoding) > 0 && string(contentEncoding) != "identity":
		return ErrEncodedBody
	}
	var parent int64 // the id a Path or Owner rule checked: sub-resources belong to it
	if r.paramIdx >= 0 {
		parent = r.params.Int(r.paramIdx)
	}
	return e.verifier.Verify(ctx, body, rule.Verify, r.scope, parent)
}
