package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/policy"
	"reportgate/registry"
)

// Authenticator checks a well-formed reporting key (package registry's
// KeyCache implements it).
type Authenticator interface {
	Authenticate(ctx context.Context, key []byte) (*registry.Principal, error)
}

// Options configure a Proxy. Each field's zero value means the documented
// default where one exists.
type Options struct {
	// Workspace partners must name in X-Ledger-Workspace. Required.
	Workspace string
	// Upstream is the Ledger API base URL (http or https). Required.
	Upstream *url.URL
	// APIUser and APIKey are the operator credentials added upstream;
	// APIKey is sent only when set.
	APIUser, APIKey string
	// Timeout bounds one upstream exchange. Default 10s.
	Timeout time.Duration
	// MaxConns caps upstream connections. Default 512.
	MaxConns int
	// MaxResponseBytes caps an upstream body. Default 8 MiB.
	MaxResponseBytes int
	// MaxPageSize is the largest page_size accepted. Default 500.
	MaxPageSize int
	// DenyReferenceData refuses the global reference routes (currencies,
	// tokens, certificate chain), which are allowed by default.
	DenyReferenceData bool
	// TrustedProxies may send Forwarded / X-Forwarded-*; others' are dropped.
	TrustedProxies []netip.Prefix
	// ReadTimeout, WriteTimeout and IdleTimeout bound a partner connection.
	// Defaults 10s, 30s, 60s.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers (431 beyond). Default 8 KiB.
	MaxHeaderBytes int
	// Logger receives the access log and incidents. Default slog.Default().
	Logger *slog.Logger
	// AccessLog writes one line per request. The zero value logs.
	DisableAccessLog bool
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Deps are the collaborators of a Proxy.
type Deps struct {
	Keys     Authenticator
	Router   *policy.Router
	Resolver *policy.Resolver
	Owners   *policy.Owners
	Verifier *policy.Verifier
	Lister   *policy.Lister
}

// Proxy is the partner-facing gateway. Safe for concurrent use; Close stops
// it.
type Proxy struct {
	opts   Options
	deps   Deps
	up     *Upstream
	server *fasthttp.Server
	states sync.Pool
	// notFound holds the 404 of every endpoint, rendered once (notFoundFor).
	notFound map[string]*apiError

	mu sync.Mutex
	ln net.Listener
}

// New validates opts and returns a proxy ready to Serve, forwarding through
// up (see NewUpstream).
func New(opts Options, up *Upstream, deps Deps) (*Proxy, error) {
	if opts.Workspace == "" || opts.Upstream == nil || opts.APIUser == "" {
		return nil, errors.New("proxy: Workspace, Upstream and APIUser are required")
	}
	if up == nil || deps.Keys == nil || deps.Router == nil || deps.Resolver == nil || deps.Owners == nil || deps.Verifier == nil || deps.Lister == nil {
		return nil, errors.New("proxy: every dependency is required")
	}
	setDefaults(&opts)
	p := &Proxy{opts: opts, deps: deps, up: up, notFound: map[string]*apiError{}}
	for _, ep := range deps.Router.Endpoints() {
		p.notFound[ep.Template] = notFound(ep.Template)
	}
	p.states.New = func() any { return new(state) }
	p.server = &fasthttp.Server{
		Handler:                       p.serve,
		Name:                          "reportgate",
		ReadTimeout:                   opts.ReadTimeout,
		WriteTimeout:                  opts.WriteTimeout,
		IdleTimeout:                   opts.IdleTimeout,
		ReadBufferSize:                opts.MaxHeaderBytes,
		MaxRequestBodySize:            64 << 10, // only PUT /notifications/configuration has a body
		DisablePreParseMultipartForm:  true,
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		DisableHeaderNamesNormalizing: false,
		CloseOnShutdown:               true,
		Logger:                        fasthttpLogger{opts.Logger},
	}
	return p, nil
}

func setDefaults(o *Options) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, 10*time.Second)
	def(&o.ReadTimeout, 10*time.Second)
	def(&o.WriteTimeout, 30*time.Second)
	def(&o.IdleTimeout, 60*time.Second)
	if o.MaxConns <= 0 {
		o.MaxConns = 512
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 8 << 20
	}
	if o.MaxPageSize <= 0 {
		o.MaxPageSize = 500
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 8 << 10
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Serve accepts partner connections on ln until Shutdown.
func (p *Proxy) Serve(ln net.Listener) error {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	return p.server.Serve(ln)
}

// Shutdown stops accepting, waits for in-flight requests until ctx ends,
// then closes every connection.
func (p *Proxy) Shutdown(ctx context.Context) error {
	err := p.server.ShutdownWithContext(ctx)
	p.up.Close()
	if err != nil {
		return fmt.Errorf("proxy: shutdown: %w", err)
	}
	return nil
}

type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	f.l.Warn("fasthttp", "msg", fmt.Sprintf(format, args...))
}
