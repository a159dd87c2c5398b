package upstream

import (
	"context"
	"errors"
	"net"
	"net/url"
	"time"

	"github.com/valyala/fasthttp"
)

// ErrEncoded: Fetch got a content-encoded body, which no caller could
// check. The client never asks for an encoding; an upstream that sends one
// anyway is answered as a failure.
var ErrEncoded = errors.New("upstream: the response is content-encoded")

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
	// Dial opens a connection to addr (host:port). Nil dials TCP; tests and
	// benchmarks give an in-memory listener's.
	Dial func(addr string) (net.Conn, error)
	// Now is the clock of Check's memo. Default time.Now.
	Now func() time.Time
}

// Client is the pooled client to the Ledger API, with the operator
// credentials. Safe for concurrent use. The proxy forwards partners'
// requests through it (Prepare, Do); scope resolution, ownership lookups
// and scoped lists read through it (Fetch, policy.Upstream).
type Client struct {
	client  *fasthttp.HostClient
	tls     bool
	host    []byte
	user    []byte
	key     []byte // empty when no X-Ledger-API-Key is configured
	timeout time.Duration
	now     func() time.Time
	check   checker
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
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 512
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 8 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	tls := o.URL.Scheme == "https"
	addr := o.URL.Host
	if o.URL.Port() == "" {
		if tls {
			addr += ":443"
		} else {
			addr += ":80"
		}
	}
	return &Client{
		client: &fasthttp.HostClient{
			Addr:                          addr,
			Dial:                          o.Dial,
			IsTLS:                         tls,
			Name:                          "reportgate",
			NoDefaultUserAgentHeader:      true,
			MaxConns:                      o.MaxConns,
			MaxConnWaitTimeout:            o.Timeout,
			ReadTimeout:                   o.Timeout,
			WriteTimeout:                  o.Timeout,
			MaxIdleConnDuration:           30 * time.Second,
			MaxResponseBodySize:           o.MaxResponseBytes,
			DisablePathNormalizing:        true, // the path was checked as received; send it so
			DisableHeaderNamesNormalizing: false,
			RetryIfErr:                    func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
		},
		tls:     tls,
		host:    []byte(o.URL.Host),
		user:    []byte(o.APIUser),
		key:     []byte(o.APIKey),
		timeout: o.Timeout,
		now:     o.Now,
	}, nil
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

// Do sends a prepared req and reads the answer into resp.
func (c *Client) Do(req *fasthttp.Request, resp *fasthttp.Response) error {
	return c.client.Do(req, resp)
}

// Fetch GETs pathAndQuery with the operator's credentials and returns the
// status and the body, which the caller owns (policy.Upstream).
func (c *Client) Fetch(ctx context.Context, pathAndQuery string) (int, []byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(pathAndQuery)
	req.Header.SetMethod(fasthttp.MethodGet)
	c.Prepare(req)
	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.client.DoDeadline(req, resp, deadline); err != nil {
		return 0, nil, err
	}
	if ce := resp.Header.ContentEncoding(); len(ce) > 0 && string(ce) != "identity" {
		return 0, nil, ErrEncoded
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

// Close drops idle connections.
func (c *Client) Close() { c.client.CloseIdleConnections() }
