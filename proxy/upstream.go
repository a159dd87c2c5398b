package proxy

import (
	"context"
	"time"

	"github.com/valyala/fasthttp"
)

// Upstream is the pooled client to the Ledger API, with the operator
// credentials. It is safe for concurrent use. The proxy forwards through it
// and scope resolution reads through it (it implements policy.Upstream).
type Upstream struct {
	client  *fasthttp.HostClient
	tls     bool
	host    []byte
	user    []byte
	key     []byte // empty when no X-Ledger-API-Key is configured
	timeout time.Duration
}

var (
	hdrAPIUser = []byte("X-Ledger-API-User")
	hdrAPIKey  = []byte("X-Ledger-API-Key")
)

// NewUpstream returns the client for o.Upstream with o's limits and
// credentials.
func NewUpstream(o Options) *Upstream {
	setDefaults(&o)
	tls := o.Upstream.Scheme == "https"
	addr := o.Upstream.Host
	if o.Upstream.Port() == "" {
		if tls {
			addr += ":443"
		} else {
			addr += ":80"
		}
	}
	return &Upstream{
		client: &fasthttp.HostClient{
			Addr:                          addr,
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
		host:    []byte(o.Upstream.Host),
		user:    []byte(o.APIUser),
		key:     []byte(o.APIKey),
		timeout: o.Timeout,
	}
}

// credentials adds the operator's headers; the client's copies were
// deleted before (strip first, then add).
func (u *Upstream) credentials(h *fasthttp.RequestHeader) {
	h.SetBytesKV(hdrAPIUser, u.user)
	if len(u.key) > 0 {
		h.SetBytesKV(hdrAPIKey, u.key)
	}
	h.SetHostBytes(u.host)
}

// do sends req and reads the answer into resp.
func (u *Upstream) do(req *fasthttp.Request, resp *fasthttp.Response) error {
	return u.client.Do(req, resp)
}

// Fetch implements policy.Upstream: a GET with the operator's credentials.
func (u *Upstream) Fetch(ctx context.Context, pathAndQuery string) (int, []byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(pathAndQuery)
	req.Header.SetMethod(fasthttp.MethodGet)
	u.credentials(&req.Header)
	if u.tls {
		req.URI().SetSchemeBytes(schemeHTTPS)
	}
	deadline := time.Now().Add(u.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := u.client.DoDeadline(req, resp, deadline); err != nil {
		return 0, nil, err
	}
	if ce := resp.Header.ContentEncoding(); len(ce) > 0 && string(ce) != "identity" {
		return 0, nil, errEncoding
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

// Close drops idle connections.
func (u *Upstream) Close() { u.client.CloseIdleConnections() }
