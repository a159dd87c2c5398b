package origin

import (
	"bytes"
	"encoding/json"
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

// APIUser is the operator's X-Ledger-API-User every target must send.
const APIUser = "bench-operator"

// Stats counts the requests an origin answered and what it should not have
// seen. Every field but Requests must stay 0 in a valid run.
type Stats struct {
	Requests uint64 `json:"requests"`
	// KeyLeaks: requests carrying a partner's X-Ledger-Reporting-API-Key.
	KeyLeaks uint64 `json:"key_leaks"`
	// MissingUser: requests without X-Ledger-API-User: APIUser.
	MissingUser uint64 `json:"missing_user"`
	// Unfiltered: /accounts lists without the entity=1 filter.
	Unfiltered uint64 `json:"unfiltered"`
	// NotFound: requests for a path the origin does not serve.
	NotFound uint64 `json:"not_found"`
}

// StatsPath answers the origin's Stats as JSON. The gateway never forwards
// it (it is no operation of the spec), so only a direct request reaches it.
const StatsPath = "/_stats"

// Origin is the fixed-response server. Safe for concurrent use.
type Origin struct {
	bodies                                                map[string][]byte
	requests, keyLeaks, missingUser, unfiltered, notFound atomic.Uint64
}

// New renders every body once.
func New() *Origin {
	return &Origin{bodies: render()}
}

// Body returns the body served for path (no query), or nil.
func (o *Origin) Body(path string) []byte { return o.bodies[path] }

// Stats returns the counters since New.
func (o *Origin) Stats() Stats {
	return Stats{
		Requests: o.requests.Load(), KeyLeaks: o.keyLeaks.Load(), MissingUser: o.missingUser.Load(),
		Unfiltered: o.unfiltered.Load(), NotFound: o.notFound.Load(),
	}
}

var (
	hdrKey      = []byte("X-Ledger-Reporting-API-Key")
	hdrAPIUser  = []byte("X-Ledger-API-User")
	contentType = []byte("application/json")
	notFound    = []byte(`{"message":"Not found","name":"NotFound","status_code":404}`)
)

// Handler is the fasthttp handler. It reads the raw request target, so what
// it matches is what the proxy sent, not a normalised form.
func (o *Origin) Handler(ctx *fasthttp.RequestCtx) {
	uri := ctx.Request.Header.RequestURI()
	path, query := uri, []byte(nil)
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		path, query = uri[:i], uri[i+1:]
	}
	if string(path) == StatsPath {
		b, _ := json.Marshal(o.Stats())
		ctx.Response.Header.SetContentTypeBytes(contentType)
		ctx.Response.SetBody(b)
		return
	}
	o.requests.Add(1)
	if len(ctx.Request.Header.PeekBytes(hdrKey)) > 0 {
		o.keyLeaks.Add(1)
	}
	if string(ctx.Request.Header.PeekBytes(hdrAPIUser)) != APIUser {
		o.missingUser.Add(1)
	}
	if string(path) == ListPath && !hasPair(query, "entity=1") {
		o.unfiltered.Add(1)
	}
	body, ok := o.bodies[string(path)]
	if !ok {
		o.notFound.Add(1)
		ctx.Response.SetStatusCode(fasthttp.StatusNotFound)
		body = notFound
	}
	ctx.Response.Header.SetContentTypeBytes(contentType)
	ctx.Response.SetBodyRaw(body)
}

// hasPair reports whether the raw query holds pair as one of its
// '&'-separated parts.
func hasPair(query []byte, pair string) bool {
	for len(query) > 0 {
		i := bytes.IndexByte(query, '&')
		if i < 0 {
			return string(query) == pair
		}
		if string(query[:i]) == pair {
			return true
		}
		query = query[i+1:]
	}
	return false
}
