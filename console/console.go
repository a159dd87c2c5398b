package console

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"reportgate/admin"
	"reportgate/internal/gcra"
	"reportgate/policy"
	"reportgate/registry"
)

// Upstream reads the Ledger API with the operator's credentials: the
// gateway's upstream client (and policy.Upstream) has this method.
type Upstream interface {
	// Fetch GETs pathAndQuery and returns the status and the body.
	Fetch(ctx context.Context, pathAndQuery string) (status int, body []byte, err error)
}

// Scoper resolves what a set of entities covers (policy.Resolver does), for
// the review step's live counts.
type Scoper interface {
	Scope(ctx context.Context, entities []int64) (*policy.Scope, error)
}

// Options configure a Console. Zero values give the documented defaults.
type Options struct {
	// Registry holds keys, requests, admins, sessions and the audit log.
	// Required.
	Registry *registry.Registry
	// Upstream reads the upstream's entities with the operator's
	// credentials (names, search). Required.
	Upstream Upstream
	// Scopes gives the review step's counts. Required.
	Scopes Scoper
	// Sessions bound a session's life. Default 30m idle, 12h absolute.
	Sessions registry.SessionTimeouts
	// SignIn limits sign-in attempts per client address. Default one every
	// 6 s on average, 5 at once.
	SignIn gcra.Limit
	// TLSProxies are the addresses of TLS-terminating proxies in front of
	// the admin listener: a request from one with X-Forwarded-Proto: https
	// was TLS in the browser, so its session cookie is Secure and
	// __Host- prefixed (see overTLS). Default none: only the listener's
	// own TLS counts.
	TLSProxies []netip.Prefix
	// ClientCertBindings: the gateway asks partners for client
	// certificates (--client-ca), so keys may be bound to one, like
	// admin.API.AcceptClientCertBindings.
	ClientCertBindings bool
	// Filed hears every request filed, like admin.API.OnRequestFiled
	// (approver notifications); nil: nobody.
	Filed func(ctx context.Context, req registry.Request)
	// Actions suspend, unsuspend and file revocations exactly as the API
	// does (the gateway gives both the same); default: over Registry,
	// applied to no cache of this process.
	Actions *admin.KeyActions
	// Now is the clock; default time.Now. The registry has its own.
	Now func() time.Time
	// Logger; nil discards. Nothing secret is ever logged.
	Logger *slog.Logger
}

// Console serves the admin console's pages. Safe for concurrent use.
type Console struct {
	reg      *registry.Registry
	scopes   Scoper
	entities *directory
	opts     Options
	log      *slog.Logger
	pages    *pages
	throttle *throttle
}

// New checks opts and parses the embedded templates.
func New(opts Options) (*Console, error) {
	if opts.Registry == nil || opts.Upstream == nil || opts.Scopes == nil {
		return nil, errors.New("console: Registry, Upstream and Scopes are required")
	}
	if opts.Sessions == (registry.SessionTimeouts{}) {
		opts.Sessions = registry.SessionTimeouts{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}
	}
	if opts.Sessions.Idle < time.Second || opts.Sessions.Absolute < opts.Sessions.Idle {
		return nil, errors.New("console: session timeouts: idle must be at least 1s and absolute at least idle")
	}
	if opts.SignIn == (gcra.Limit{}) {
		opts.SignIn = gcra.Limit{Interval: 6 * time.Second, Burst: 5}
	}
	if opts.SignIn.Interval <= 0 || opts.SignIn.Burst < 1 {
		return nil, errors.New("console: sign-in limit: give a positive interval and a burst of at least 1")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Actions == nil {
		opts.Actions = admin.NewKeyActions(opts.Registry, nil)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	t, err := newThrottle(opts.SignIn, 10_000)
	if err != nil {
		return nil, err
	}
	return &Console{
		reg: opts.Registry, scopes: opts.Scopes, entities: newDirectory(opts.Upstream, opts.Now),
		opts: opts, log: opts.Logger, pages: p, throttle: t,
	}, nil
}

// Register adds the console's routes to mux: / and below, except what the
// admin listener serves elsewhere (/v1/, /healthz, /readyz, /metrics), whose
// patterns are more specific and keep precedence.
func (c *Console) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/{file}", secure(http.HandlerFunc(c.static)))
	mux.Handle("GET /signin", secure(http.HandlerFunc(c.signInPage)))
	mux.Handle("POST /signin", secure(http.HandlerFunc(c.signIn)))
	mux.Handle("POST /signout", c.page(c.signOut))
	mux.Handle("GET /{$}", c.page(func(w http.ResponseWriter, r *http.Request, _ *visit) error {
		http.Redirect(w, r, "/keys", http.StatusSeeOther)
		return nil
	}))
	mux.Handle("GET /keys", c.page(c.keyList))
	mux.Handle("POST /keys", c.page(c.fileCreate))
	mux.Handle("GET /keys/new", c.page(c.createForm))
	mux.Handle("GET /keys/new/review", c.page(c.createReview))
	mux.Handle("GET /keys/{id}", c.page(c.keyPage))
	mux.Handle("GET /keys/{id}/edit", c.page(c.editForm))
	mux.Handle("GET /keys/{id}/edit/review", c.page(c.editReview))
	mux.Handle("POST /keys/{id}/edit", c.page(c.fileEdit))
	mux.Handle("GET /keys/{id}/reveal", c.page(c.revealConfirm))
	mux.Handle("POST /keys/{id}/reveal", c.page(c.reveal))
	mux.Handle("GET /keys/{id}/{action}", c.page(c.keyActionConfirm))
	mux.Handle("POST /keys/{id}/{action}", c.page(c.keyAction))
	mux.Handle("GET /requests", c.page(c.requestList))
	mux.Handle("GET /requests/{id}", c.page(c.requestPage))
	mux.Handle("GET /requests/{id}/{verb}", c.page(c.decideConfirm))
	mux.Handle("POST /requests/{id}/{verb}", c.page(c.decide))
	mux.Handle("GET /audit", c.page(c.auditPage))
	mux.Handle("GET /admins", c.page(c.adminsPage))
	mux.Handle("/", secure(http.HandlerFunc(c.notFound)))
}

// notFound answers every other path outside the API with the console's 404.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.renderProblem(w, r, nil, problem{Status: http.StatusNotFound, Title: "Page not found",
		Message: "There is no page at this address. Use the menu to find your way."})
}
