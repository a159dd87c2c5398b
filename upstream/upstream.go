package upstream

import (
	"context"
	"errors"
	"net"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Options configure a Client. Zero values mean the documented defaults.
type Options struct {
	// URL is the Ledger API base URL (http or https, no path). Required.
	URL *url.URL
	// APIUser and APIKey are the operator credentials; APIKey is sent only
	// when set. APIUser is required.
	APIUser, APIKey string
	// Timeout bounds one exchange. Default 10s.
	Timeout time.Duration
	// MaxConns caps the pooled connections. Default 512.
	MaxConns int
	// MaxResponseBytes caps a response body (it is buffered for
	// verification). Default 8 MiB.
	MaxResponseBytes int
	// IdleTimeout is how long an unused pooled connection is kept. It
	// should be shorter than the upstream's own keep-alive timeout (and any
	// load balancer's in between), so the gateway closes first. Default
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxResponseHeaderBytes bounds a response's status line and headers:
	// the read buffer fasthttp parses them in. An answer with more is
	// ErrHeaderTooLarge. Default DefaultMaxResponseHeaderBytes.
	MaxResponseHeaderBytes int
	// Dial opens a connection to addr (host:port). Nil dials TCP; tests and
	// benchmarks give an in-memory listener's.
	Dial func(addr string) (net.Conn, error)
	// Now is the clock of Check's memo. Default time.Now.
	Now func() time.Time
}

// DefaultIdleTimeout is below the shortest keep-alive timeouts common
// upstream servers ship with (Node.js and Apache httpd close an idle
// connection after 5 s), so that the gateway, not the upstream, closes an
// idle connection; a connection the upstream closed anyway is retried
// (see retryIf).
const DefaultIdleTimeout = 4 * time.Second

// DefaultMaxResponseHeaderBytes is the header block Node.js, HAProxy
// (tune.bufsize) and nginx's large buffers accept by default, four times
// fasthttp's 4 KiB: a load balancer's cookies and a CDN's security and
// tracing headers fit. The buffer is pooled and held only while a
// response is read, so it costs 16 KiB per exchange in flight, not per
// connection.
const DefaultMaxResponseHeaderBytes = 16 << 10

// Client is the pooled client to the Ledger API, with the operator
// credentials. Safe for concurrent use. The proxy forwards partners'
// requests through it (Prepare, Do); scope resolution, ownership lookups
// and scoped lists read through it (Fetch, policy.Upstream).
type Client struct {
	client    *fasthttp.HostClient
	tls       bool
	host      []byte
	user      []byte
	key       []byte // empty when no X-Ledger-API-Key is configured
	timeout   time.Duration
	headerMax int
	dialer    func(addr string) (net.Conn, error)
	conns     connSet
	retries   atomic.Uint64
	now       func() time.Time
	check     checker
	// checkFetch is Check's read: Fetch, or the Shared client's (through
	// the operator's budget) once one wraps this client.
	checkFetch func(ctx context.Context, pathAndQuery string) (int, []byte, error)
}

var (
	hdrAPIUser   = []byte("X-Ledger-API-User")
	hdrAPIKey    = []byte("X-Ledger-API-Key")
	schemeHTTPS  = []byte("https")
	schemeHTTP   = []byte("http")
	errNoOptions = errors.New("upstream: URL (http or https) and APIUser are required")
)

// New returns the client for o.URL with o's limits and credentials.
func New(o Options) (*Client, error) {
	if o.URL == nil || (o.URL.Scheme != "http" && o.URL.Scheme != "https") || o.URL.Host == "" || o.APIUser == "" {
		return nil, errNoOptions
	}
	setDefaults(&o)
	tls := o.URL.Scheme == "https"
	addr := o.URL.Host
	if o.URL.Port() == "" {
		if tls {
			addr += ":443"
		} else {
			addr += ":80"
		}
	}
	c := &Client{
		tls: tls, host: []byte(o.URL.Host), user: []byte(o.APIUser), key: []byte(o.APIKey),
		timeout: o.Timeout, headerMax: o.MaxResponseHeaderBytes, dialer: o.Dial, now: o.Now,
	}
	c.client = &fasthttp.HostClient{
		Addr:                          addr,
		DialTimeout:                   c.dial,
		IsTLS:                         tls,
		Name:                          "reportgate",
		NoDefaultUserAgentHeader:      true,
		MaxConns:                      o.MaxConns,
		MaxConnWaitTimeout:            o.Timeout,
		ReadTimeout:                   o.Timeout,
		WriteTimeout:                  o.Timeout,
		MaxIdleConnDuration:           o.IdleTimeout,
		ReadBufferSize:                o.MaxResponseHeaderBytes,
		MaxResponseBodySize:           o.MaxResponseBytes,
		DisablePathNormalizing:        true, // the path was checked as received; send it so
		DisableHeaderNamesNormalizing: false,
		// fasthttp quotes the bytes it could not parse in its errors
		// otherwise: an upstream's headers could carry anything.
		SecureErrorLogMessage:     true,
		MaxIdemponentCallAttempts: 2, // one retry at most, and only as retryIf says
		RetryIfErr:                c.retryIf,
	}
	return c, nil
}

func setDefaults(o *Options) {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 512
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 8 << 20
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxResponseHeaderBytes <= 0 {
		o.MaxResponseHeaderBytes = DefaultMaxResponseHeaderBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Prepare makes req, whose request URI is set, ready for Do: the operator's
// credentials, the upstream's Host, and its scheme. The client's copies of
// the credential headers must have been deleted before (strip first, then
// add).
func (c *Client) Prepare(req *fasthttp.Request) {
	h := &req.Header
	h.SetBytesKV(hdrAPIUser, c.user)
	if len(c.key) > 0 {
		h.SetBytesKV(hdrAPIKey, c.key)
	}
	h.SetHostBytes(c.host)
	// Always set: a request read over the partner listener's TLS carries
	// https, which a plain upstream client refuses.
	if c.tls {
		req.URI().SetSchemeBytes(schemeHTTPS)
	} else {
		req.URI().SetSchemeBytes(schemeHTTP)
	}
}

// Do sends a prepared req and reads the answer into resp. An answer with a
// 5xx status is a failed exchange, returned as *StatusError (resp still
// holds it, but it must not be passed on); every other status is the
// caller's to read. After Abort, ErrClosed.
func (c *Client) Do(req *fasthttp.Request, resp *fasthttp.Response) error {
	return c.exchange(req, resp, time.Time{})
}

// exchange is Do, bounded by deadline when it is set (by the client's
// timeouts otherwise).
func (c *Client) exchange(req *fasthttp.Request, resp *fasthttp.Response, deadline time.Time) error {
	if c.conns.isClosed() {
		return ErrClosed
	}
	var err error
	if deadline.IsZero() {
		err = c.client.Do(req, resp)
	} else {
		err = c.client.DoDeadline(req, resp, deadline)
	}
	if err != nil {
		return c.failure(err)
	}
	if resp.StatusCode() >= 500 {
		return c.statusError(resp)
	}
	return nil
}

// Fetch GETs pathAndQuery with the operator's credentials and returns the
// status and the body, which the caller owns (policy.Upstream). Answers
// the caller cannot read as data come as *StatusError instead: a 5xx, and
// the upstream's rate limit (420), whose Retry-After the error carries.
func (c *Client) Fetch(ctx context.Context, pathAndQuery string) (int, []byte, error) {
	req, resp := c.fetchRequest(pathAndQuery), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	if err := c.exchange(req, resp, c.deadline(ctx)); err != nil {
		return 0, nil, err
	}
	return c.data(resp)
}

// fetchRequest is a prepared GET of pathAndQuery, from fasthttp's pool.
func (c *Client) fetchRequest(pathAndQuery string) *fasthttp.Request {
	req := fasthttp.AcquireRequest()
	req.SetRequestURI(pathAndQuery)
	req.Header.SetMethod(fasthttp.MethodGet)
	c.Prepare(req)
	return req
}

// deadline bounds a read of the gateway's own: the client's timeout, or
// ctx's deadline when sooner.
func (c *Client) deadline(ctx context.Context) time.Time {
	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return deadline
}

// data reads an answer to a read of the gateway's own: a 420 is a
// *StatusError, an encoded body ErrEncoded, else the status and a copy of
// the body.
func (c *Client) data(resp *fasthttp.Response) (int, []byte, error) {
	if resp.StatusCode() == StatusRateLimited {
		return 0, nil, c.statusError(resp)
	}
	if ce := resp.Header.ContentEncoding(); len(ce) > 0 && string(ce) != "identity" {
		return 0, nil, ErrEncoded
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

// Retries counts the exchanges retried on a fresh connection (retryIf).
func (c *Client) Retries() uint64 { return c.retries.Load() }

// Close drops idle connections; exchanges in flight go on.
func (c *Client) Close() { c.client.CloseIdleConnections() }

// Abort closes every connection, idle or in use, and makes every later
// exchange fail with ErrClosed: the requests still waiting on the upstream
// when the shutdown grace runs out end at once, with an error their
// handlers can answer.
func (c *Client) Abort() {
	c.conns.closeAll()
	c.client.CloseIdleConnections()
}
