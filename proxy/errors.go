package proxy

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"

	"reportgate/internal/apierr"
	"reportgate/keycache"
	"reportgate/policy"
	"reportgate/ratelimit"
	"reportgate/upstream"
)

// apiError is an answer of the gateway's own, in the upstream's Error shape
// {"message", "name", "status_code"}.
type apiError struct {
	status int
	name   string
	msg    string
	reason string // for metrics and the access log: a short, fixed token
	class  class  // the metric family the refusal also counts in

	once     sync.Once
	rendered []byte
}

func (e *apiError) Error() string { return e.msg }

// body renders the error once; the fixed errors below are shared, so their
// answers allocate nothing after the first.
func (e *apiError) body() []byte {
	e.once.Do(func() { e.rendered = apierr.Render(e.status, e.msg) })
	return e.rendered
}

func newError(status int, reason, format string, args ...any) *apiError {
	return &apiError{status: status, name: apierr.Name(status), msg: fmt.Sprintf(format, args...), reason: reason}
}

// class is the metric family a refusal counts in besides the requests:
// failed authentications, withheld upstream answers (scope incidents),
// limit refusals.
type class uint8

const (
	noClass class = iota
	authClass
	scopeClass
	limitClass
)

// in sets e's class; for the fixed errors below.
func (e *apiError) in(c class) *apiError {
	e.class = c
	return e
}

// Fixed answers, rendered once at start-up (see renderedError).
var (
	errNoKey        = newError(401, "no_key", "X-Ledger-Reporting-API-Key is required").in(authClass)
	errBadKey       = newError(401, "invalid_key", "invalid reporting API key").in(authClass)
	errTwoKeys      = newError(400, "ambiguous_key", "X-Ledger-Reporting-API-Key must be sent exactly once").in(authClass)
	errNoWorkspace  = newError(401, "no_workspace", "X-Ledger-Workspace is required").in(authClass)
	errTwoWorkspace = newError(400, "ambiguous_workspace", "X-Ledger-Workspace must be sent exactly once").in(authClass)
	errWorkspace    = newError(401, "invalid_key", "invalid reporting API key").in(authClass)
	errInactive     = newError(403, "key_inactive", "this reporting API key is suspended or revoked").in(authClass)
	errRegistryDown = newError(503, "registry_down", "the key registry is unreachable; retry later").in(authClass)
	errUnknownPath  = newError(404, "unknown_path", "no such operation")
	errAmbiguous    = newError(400, "ambiguous_path", "the path has a segment or byte the gateway refuses: dot segments, empty segments, a trailing slash, percent-encoding, ';', '\\' or non-ASCII")
	errBadID        = newError(400, "bad_path_param", "a path id must be a decimal integer without sign or leading zero")
	errAbsoluteURI  = newError(400, "absolute_uri", "the request target must be a path (origin-form), not an absolute URI")
	errBody         = newError(400, "body_on_read", "a GET request must not carry a body")
	errOverride     = newError(400, "method_override", "method-override headers are refused")
	errReadOnly     = newError(403, "read_only", "reporting keys are read-only")
	errVerify       = newError(502, "scope_violation", "the upstream response failed scope verification and was withheld").in(scopeClass)
	errMalformed    = newError(502, "malformed_upstream", "the upstream response could not be verified and was withheld").in(scopeClass)
	errEncoding     = newError(502, "encoded_upstream", "the upstream response is content-encoded and cannot be verified").in(scopeClass)
	errScopeFailed  = newError(502, "scope_unresolved", "the key's scope could not be resolved from the upstream")
	errLimiterDown  = newError(503, "rate_limiter_down", "the rate limiter is unreachable; retry later").in(limitClass)
	errShutdown     = newError(503, "shutting_down", "the gateway is shutting down; retry")

	// Upstream failures (see classifyUpstream).
	errUpstream        = newError(502, "upstream_error", "the upstream could not be reached")
	errUpstreamFailed  = newError(502, "upstream_failed", "the upstream failed to answer; retry later")
	errUpstreamRefused = newError(502, "upstream_refused", "the upstream refused the gateway's own request")
	errUpstreamLimited = newError(statusRateLimited, "upstream_rate_limited", "the upstream's rate limit was reached; retry after the delay in Retry-After")
	errTimeout         = newError(504, "upstream_timeout", "the upstream did not answer in time")
	errTooLarge        = newError(502, "upstream_too_large", "the upstream response exceeds the gateway's size limit")
	errHeaderLarge     = newError(502, "upstream_header_too_large", "the upstream response headers exceed the gateway's limit")

	// Requests the HTTP server could not read (see parseError).
	errUnparsable     = newError(400, "unparsable", "the request could not be read: malformed request line, header or framing (one Host, valid header names and values, a supported Transfer-Encoding)")
	errHeaderTooLarge = newError(431, "header_too_large", "the request headers exceed the gateway's limit")
	errBodyTooLarge   = newError(413, "body_too_large", "the request body exceeds the gateway's limit")
	errReadTimeout    = newError(408, "read_timeout", "the request was not received in time")
)

// parseError classifies what fasthttp reports about a request it could not
// read, before any pipeline step ran.
func parseError(err error) *apiError {
	var small *fasthttp.ErrSmallBuffer
	var op *net.OpError
	switch {
	case errors.As(err, &small):
		return errHeaderTooLarge
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return errBodyTooLarge
	case errors.As(err, &op) && op.Timeout():
		return errReadTimeout
	}
	return errUnparsable
}

// statusRateLimited is the upstream's status for a breached rate limit
// (docs/design.md §3); reason420 is its reason phrase, which fasthttp does not know.
const statusRateLimited = 420

var reason420 = []byte("Enhance Your Calm")

// limitAnswers are the refusals of the limits, in the status the gateway is
// configured with (Options.RateLimitStatus: 420 like the upstream, or 429):
// the key's own limits, the failed-authentication throttle, and the
// operator's upstream budget.
type limitAnswers struct {
	rate, concurrency, auth *apiError
	share, spent, paused    *apiError
}

// budget is the answer to a refusal of the operator's budget.
func (a limitAnswers) budget(r ratelimit.Reason) *apiError {
	switch r {
	case ratelimit.FairShareSpent:
		return a.share
	case ratelimit.Paused:
		return a.paused
	case ratelimit.BudgetDown:
		return errLimiterDown
	}
	return a.spent
}

func newLimitAnswers(status int) limitAnswers {
	return limitAnswers{
		rate: newError(status, "rate_limited",
			"rate limit exceeded for this reporting API key; retry after the delay in Retry-After").in(limitClass),
		concurrency: newError(status, "concurrency_limited",
			"too many concurrent requests for this reporting API key; retry after the delay in Retry-After").in(limitClass),
		auth: newError(status, "auth_throttled",
			"too many failed authentications from this address; retry after the delay in Retry-After").in(limitClass),
		share: newError(status, "upstream_share",
			"this reporting API key used its share of the upstream budget while other keys need theirs; retry after the delay in Retry-After").in(limitClass),
		spent: newError(status, "upstream_budget",
			"the gateway's upstream budget is spent for now; retry after the delay in Retry-After").in(limitClass),
		paused: newError(status, "upstream_paused",
			"the upstream asked the gateway to slow down; retry after the delay in Retry-After").in(limitClass),
	}
}

// notFound is the answer for an object that is missing or out of scope: one
// body per resource, identical in both cases, so existence does not leak.
func notFound(template string) *apiError {
	res := strings.SplitN(strings.TrimPrefix(template, "/"), "/", 2)[0]
	switch res {
	case "cardano", "ethereum", "solana", "tezos":
		res = "accounts"
	}
	noun := strings.TrimSuffix(res, "s")
	if noun == "entitie" {
		noun = "entity"
	}
	return newError(404, "not_found", "%s%s not found", strings.ToUpper(noun[:1]), noun[1:])
}

// notFoundFor is notFound for r's endpoint, built once per endpoint by New,
// so an out-of-scope id costs no allocation.
func (p *Proxy) notFoundFor(r *policy.Request) *apiError { return p.notFound[r.Route()] }

// classify maps any error of the pipeline to the answer the partner gets.
// It is the one place errors become statuses. errors.AsType, unlike
// errors.As with a pointer to a local, does not allocate: a refusal costs
// no garbage (TestRefusalAllocatesNothing).
func classify(err error) *apiError {
	if ae, ok := errors.AsType[*apiError](err); ok {
		return ae
	}
	if ae := classifyUpstream(err); ae != nil {
		return ae
	}
	if ae := classifyPolicy(err); ae != nil {
		return ae
	}
	switch {
	case errors.Is(err, keycache.ErrUnknownKey):
		return errBadKey
	case errors.Is(err, keycache.ErrKeyInactive):
		return errInactive
	case errors.Is(err, keycache.ErrRegistryDown):
		return errRegistryDown
	}
	return errUpstream
}

// classifyUpstream is the one rule for the upstream's failures, whichever
// step met them — the forwarded request, a scope resolution, an owner
// lookup, a scoped list's scan, an NFT check's collections — and nil for
// any other error. The upstream's own status and body never reach the
// partner:
//
//   - 504, or no answer within --upstream-timeout: 504;
//   - any other 5xx: 502 (503 is the gateway's own: the registry, the
//     rate limiter, a shutdown);
//   - 420 to a read of the gateway's own: 420 with the upstream's
//     Retry-After (a forwarded request's 420 passes through as it is);
//   - another 4xx to a read of the gateway's own (the operator's
//     credentials refused, a query the gateway built): 502 (a forwarded
//     request's 4xx passes through, its 404 hidden on Path and Owner
//     routes);
//   - no answer (refused, reset, closed) or one the client could not
//     read: 502, naming the oversized part when that is what it was.
func classifyUpstream(err error) *apiError {
	if se, ok := errors.AsType[*upstream.StatusError](err); ok {
		return upstreamStatus(se.Status)
	}
	if ue, ok := errors.AsType[*policy.UpstreamError](err); ok {
		return upstreamStatus(ue.Status)
	}
	switch {
	case errors.Is(err, upstream.ErrClosed):
		return errShutdown
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout):
		return errTimeout
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return errTooLarge
	case errors.Is(err, upstream.ErrHeaderTooLarge):
		return errHeaderLarge
	case errors.Is(err, upstream.ErrEncoded):
		return errEncoding
	}
	return nil
}

// upstreamStatus maps a status the upstream answered and the gateway
// cannot pass on (classifyUpstream).
func upstreamStatus(status int) *apiError {
	switch {
	case status == fasthttp.StatusGatewayTimeout:
		return errTimeout
	case status >= 500:
		return errUpstreamFailed
	case status == upstream.StatusRateLimited:
		return errUpstreamLimited
	}
	return errUpstreamRefused
}

// classifyPolicy maps the policy's refusals; nil for any other error.
func classifyPolicy(err error) *apiError {
	if qe, ok := errors.AsType[*policy.QueryError](err); ok {
		return newError(400, "bad_query", "%s", qe.Error())
	}
	if me, ok := errors.AsType[*policy.MethodError](err); ok {
		return newError(405, "method", "%s", me.Error())
	}
	if pe, ok := errors.AsType[*policy.PageSizeError](err); ok {
		return newError(400, "page_size", "%s", pe.Error())
	}
	if de, ok := errors.AsType[*policy.DeniedError](err); ok {
		return newError(403, "denied", "%s", de.Error())
	}
	if _, ok := errors.AsType[*policy.ScopeError](err); ok {
		return errScopeFailed
	}
	if sl, ok := errors.AsType[*policy.ScanLimitError](err); ok {
		return newError(400, "scan_limit", "%s", sl.Error())
	}
	switch {
	case errors.Is(err, policy.ErrReadOnly):
		return errReadOnly
	case errors.Is(err, policy.ErrUnknownPath):
		return errUnknownPath
	case errors.Is(err, policy.ErrAmbiguousPath):
		return errAmbiguous
	case errors.Is(err, policy.ErrBadPathParam):
		return errBadID
	}
	return nil
}
