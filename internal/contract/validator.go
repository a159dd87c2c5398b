package contract

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Hop says which side of the gateway an exchange crossed, and so which
// credentials its request carries.
type Hop int

const (
	// Partner is a partner calling the gateway with a reporting key.
	Partner Hop = iota + 1
	// Upstream is a caller with the operator's credentials calling the
	// upstream (the gateway, or a test calling the simulator).
	Upstream
)

func (h Hop) String() string {
	switch h {
	case Partner:
		return "partner"
	case Upstream:
		return "upstream"
	}
	return fmt.Sprintf("Hop(%d)", int(h))
}

// Exchange is one request and its answer, as raw pieces. Header keys may be
// in any case.
type Exchange struct {
	Hop            Hop
	Method         string
	Target         string // the request line's target as sent: path and query, e.g. "/accounts?entity=1"
	RequestHeader  http.Header
	RequestBody    []byte
	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
}

// Result is what Check found.
type Result struct {
	// Operation is "METHOD /path/template", or "" when the request names no
	// operation of the hop.
	Operation string
	// Request is nil when the spec allows the request, else a *Violation
	// (or ErrNoOperation).
	Request error
	// Response is nil when the answer is one the spec allows for that
	// request, else a *Violation.
	Response error
}

// ErrNoOperation is wrapped in Result.Request when the method and path name
// no operation of the hop.
var ErrNoOperation = errors.New("contract: no operation of the spec")

// Violation lists why one side of an exchange breaks the contract.
type Violation struct {
	Side     string // "request" or "response"
	Problems []string
}

func (v *Violation) Error() string {
	return "contract: " + v.Side + ": " + strings.Join(v.Problems, "; ")
}

// Validator checks exchanges against the embedded description. It is safe
// for concurrent use once New returns.
type Validator struct {
	views map[Hop]*view
}

// view is the description as one hop sees it.
type view struct {
	hop       Hop
	doc       *openapi3.T
	router    routers.Router
	errSchema *openapi3.Schema
	// forbidden are request headers that must not cross this hop.
	forbidden []string
	// credentials are the headers of the hop's security schemes: each may
	// be given once at most, even where an alternative without it passes.
	credentials []string
}

// New loads the description and builds the partner and upstream views;
// each is validated as an OpenAPI document when its router is built.
func New() (*Validator, error) {
	v := &Validator{views: map[Hop]*view{}}
	for _, hop := range []Hop{Partner, Upstream} {
		doc, err := parseSpec()
		if err != nil {
			return nil, err
		}
		vw := &view{hop: hop, doc: doc}
		if hop == Partner {
			err = partnerView(doc)
		} else {
			// The gateway holds the operator's credentials; a partner's
			// key reaching the upstream would be a leak.
			vw.forbidden = []string{HeaderReportingKey, HeaderWorkspace}
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s view: %w", ErrSpec, hop, err)
		}
		if vw.router, err = legacy.NewRouter(doc); err != nil {
			return nil, fmt.Errorf("%w: %s router: %w", ErrSpec, hop, err)
		}
		for _, name := range sortedKeys(doc.Components.SecuritySchemes) {
			if s := doc.Components.SecuritySchemes[name].Value; s != nil && s.In == "header" {
				vw.credentials = append(vw.credentials, s.Name)
			}
		}
		ref := doc.Components.Schemas["Error"]
		if ref == nil || ref.Value == nil {
			return nil, fmt.Errorf("%w: no Error schema", ErrSpec)
		}
		vw.errSchema = ref.Value
		v.views[hop] = vw
	}
	return v, nil
}

// Check validates x's request on its hop, then its answer: against the
// operation's documented response for that status, or the Error schema when
// the operation documents none; a request the spec refuses (or one naming
// no operation) must be answered with an error status and an Error body.
func (v *Validator) Check(x Exchange) Result {
	vw := v.views[x.Hop]
	if vw == nil {
		err := &Violation{"request", []string{fmt.Sprintf("unknown hop %s", x.Hop)}}
		return Result{Request: err, Response: err}
	}
	req, err := x.request()
	if err != nil {
		return Result{Request: &Violation{"request", []string{err.Error()}}, Response: vw.refusal(x)}
	}
	route, params, err := vw.router.FindRoute(req)
	if err == nil && strings.HasSuffix(req.URL.Path, "/") {
		// The library's router ignores a trailing slash; no path of the
		// spec has one, and a generated client never sends one.
		err = errors.New("a trailing slash")
	}
	if err != nil {
		path, _, _ := strings.Cut(x.Target, "?")
		return Result{Request: fmt.Errorf("%w: %s %s: %v", ErrNoOperation, x.Method, path, err),
			Response: vw.refusal(x)}
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: authenticate, SkipSettingDefaults: true}}
	res := Result{Operation: route.Method + " " + route.Path}
	// What the spec refuses (credentials, parameter values, the body's
	// schema) must be answered with an error; what only this contract
	// adds is a violation of the request alone.
	var refusals []string
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		refusals = describe(err)
	}
	strict := strictQuery(route, req.URL.RawQuery)
	if route.Operation.RequestBody == nil && len(x.RequestBody) > 0 {
		strict = append(strict, "a body on an operation that takes none")
	}
	strict = append(strict, vw.forbiddenHeaders(req.Header)...)
	if problems := append(refusals, strict...); len(problems) > 0 {
		res.Request = &Violation{"request", problems}
	}
	res.Response = vw.answer(in, x, len(refusals) > 0)
	return res
}

// Operations returns the operations of hop ("METHOD /path/template"),
// ordered by path, then method.
func (v *Validator) Operations(hop Hop) []string {
	vw := v.views[hop]
	if vw == nil {
		return nil
	}
	var out []string
	for _, path := range vw.doc.Paths.InMatchingOrder() {
		for method := range vw.doc.Paths.Value(path).Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		ma, pa, _ := strings.Cut(a, " ")
		mb, pb, _ := strings.Cut(b, " ")
		return cmp.Or(strings.Compare(pa, pb), strings.Compare(ma, mb))
	})
	return out
}

// Documented returns the statuses the operation (method and path template,
// as in internal/spec) documents on hop, ascending.
func (v *Validator) Documented(hop Hop, method, path string) ([]int, error) {
	vw := v.views[hop]
	if vw == nil {
		return nil, fmt.Errorf("%w: unknown hop %s", ErrNoOperation, hop)
	}
	item := vw.doc.Paths.Value(path)
	if item == nil || item.GetOperation(method) == nil {
		return nil, fmt.Errorf("%w: %s %s", ErrNoOperation, method, path)
	}
	var out []int
	for code := range item.GetOperation(method).Responses.Map() {
		if n, err := strconv.Atoi(code); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// request rebuilds the request from x's pieces. Only the origin form
// ("/path?query") is accepted: that is what crosses both hops.
func (x Exchange) request() (*http.Request, error) {
	if !strings.HasPrefix(x.Target, "/") {
		return nil, fmt.Errorf("target %q is not a path", x.Target)
	}
	u, err := url.ParseRequestURI(x.Target)
	if err != nil {
		return nil, fmt.Errorf("target %q: %v", x.Target, err)
	}
	if u.Path, err = segmentPath(u.EscapedPath()); err != nil {
		return nil, fmt.Errorf("target %q: %v", x.Target, err)
	}
	u.RawPath = ""
	return &http.Request{Method: x.Method, URL: u, RequestURI: x.Target, Header: canonical(x.RequestHeader),
		Body: io.NopCloser(bytes.NewReader(x.RequestBody)), ContentLength: int64(len(x.RequestBody))}, nil
}

// segmentPath decodes an escaped path segment by segment, keeping an
// encoded slash ("%2F") as those three characters: it is data inside its
// segment (RFC 3986 §2.2), not a separator, so it must not make the router
// see segments the request does not have, as the decoded path would.
func segmentPath(escaped string) (string, error) {
	segs := strings.Split(escaped, "/")
	for i, seg := range segs {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return "", err
		}
		segs[i] = strings.ReplaceAll(dec, "/", "%2F")
	}
	return strings.Join(segs, "/"), nil
}

func canonical(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		out[ck] = append(out[ck], vs...)
	}
	return out
}

// authenticate accepts a header scheme when its header is there once and
// not empty: the contract is about the shape of the credentials; whether
// they are right is the server's business.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s.Type != "apiKey" || s.In != "header" {
		return fmt.Errorf("security scheme %s: only header API keys are known here", in.SecuritySchemeName)
	}
	vals := in.RequestValidationInput.Request.Header.Values(s.Name)
	if len(vals) != 1 || vals[0] == "" {
		return fmt.Errorf("%s: want one non-empty value, got %d", s.Name, len(vals))
	}
	return nil
}

func (vw *view) forbiddenHeaders(h http.Header) []string {
	var out []string
	for _, name := range vw.forbidden {
		if len(h.Values(name)) > 0 {
			out = append(out, fmt.Sprintf("header %s must not reach the %s hop", name, vw.hop))
		}
	}
	for _, name := range vw.credentials {
		if n := len(h.Values(name)); n > 1 {
			out = append(out, fmt.Sprintf("header %s is given %d times", name, n))
		}
	}
	return out
}

// strictQuery reports what openapi3filter lets through: query keys the
// operation does not declare, and scalars given more than once.
func strictQuery(route *routers.Route, raw string) []string {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return []string{fmt.Sprintf("query %q: %v", raw, err)}
	}
	declared := map[string]*openapi3.Parameter{}
	for _, list := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, ref := range list {
			if p := ref.Value; p != nil && p.In == openapi3.ParameterInQuery {
				declared[p.Name] = p
			}
		}
	}
	var out []string
	for _, k := range sortedKeys(vals) {
		p := declared[k]
		switch {
		case p == nil:
			out = append(out, fmt.Sprintf("query parameter %q is not declared", k))
		case len(vals[k]) > 1 && !isArray(p):
			out = append(out, fmt.Sprintf("query parameter %q takes one value, has %d", k, len(vals[k])))
		}
	}
	return out
}

func isArray(p *openapi3.Parameter) bool {
	return p.Schema != nil && p.Schema.Value != nil && p.Schema.Value.Type.Is(openapi3.TypeArray)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
