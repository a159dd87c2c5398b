package policy

import (
	"errors"
	"fmt"
	"strings"

	"reportgate/internal/spec"
)

// Errors of Match. Each is answered before authentication, with a precise
// message; none reaches the upstream.
var (
	// ErrUnknownPath: no operation has this path (404).
	ErrUnknownPath = errors.New("policy: unknown path")
	// ErrAmbiguousPath: the path has a byte or segment the gateway refuses
	// rather than normalise: dot segments, empty segments, a trailing slash,
	// percent-encoding, ';', '\', controls, non-ASCII (400).
	ErrAmbiguousPath = errors.New("policy: ambiguous path")
	// ErrBadPathParam: a path id is not a canonical decimal integer (400).
	ErrBadPathParam = errors.New("policy: malformed path parameter")
)

// MaxPathParams bounds the path parameters of one operation.
const MaxPathParams = 4

// PathParams are the path parameters of one matched request. The byte
// slices alias the request and must not outlive it.
type PathParams struct {
	n    int
	raw  [MaxPathParams][]byte
	ints [MaxPathParams]int64
}

// Int returns the integer value of the i-th parameter (0 for a string one).
func (p *PathParams) Int(i int) int64 { return p.ints[i] }

// Raw returns the i-th parameter as it appeared in the path.
func (p *PathParams) Raw(i int) []byte { return p.raw[i] }

// Len is the number of parameters matched.
func (p *PathParams) Len() int { return p.n }

// Endpoint is one path template with its rules by method.
type Endpoint struct {
	Template string
	// ParamNames are the template's parameters in order.
	ParamNames []string
	intParam   []bool
	// ByMethod holds the rule of each method the spec (or the gateway) knows.
	byMethod []*Rule
	// Query holds, per method, the compiled query parameters.
	query []*QuerySpec
	// paramIdx holds, per method, the position of the rule's Param.
	paramIdx []int
}

// Rule returns the endpoint's rule for method, or nil when the method is
// not an operation of this path.
func (e *Endpoint) Rule(method []byte) (*Rule, *QuerySpec) {
	r, qs, _ := e.Lookup(method)
	return r, qs
}

// Lookup is Rule plus the position of the rule's Param among the path
// parameters (-1 when the rule checks none).
func (e *Endpoint) Lookup(method []byte) (*Rule, *QuerySpec, int) {
	for i, r := range e.byMethod {
		if r.Method == string(method) {
			return r, e.query[i], e.paramIdx[i]
		}
	}
	return nil, nil, -1
}

// Methods lists the methods the endpoint knows.
func (e *Endpoint) Methods() []string {
	out := make([]string, len(e.byMethod))
	for i, r := range e.byMethod {
		out[i] = r.Method
	}
	return out
}

// ParamIndex returns the position of the named path parameter, or -1.
func (e *Endpoint) ParamIndex(name string) int {
	for i, n := range e.ParamNames {
		if n == name {
			return i
		}
	}
	return -1
}

type node struct {
	literal  map[string]*node
	param    *node
	endpoint *Endpoint
}

// Router matches request paths against the policy table. It is immutable
// after NewRouter and safe for concurrent use.
type Router struct {
	root      node
	endpoints []*Endpoint
}

// NewRouter compiles rules against the spec's operations. Every rule but the
// gateway's own must name an operation of the spec, so a typo in the table
// fails at start-up rather than on a request.
func NewRouter(rules []Rule, routes []spec.Route) (*Router, error) {
	byOp := make(map[string]spec.Route, len(routes))
	for _, r := range routes {
		byOp[r.Method+" "+r.Path] = r
	}
	rt := &Router{}
	byTemplate := map[string]*Endpoint{}
	for i := range rules {
		rule := &rules[i]
		sr, ok := byOp[rule.Method+" "+rule.Path]
		if !ok && rule.Strategy != Gateway {
			return nil, fmt.Errorf("policy: rule %s %s is not an operation of the spec", rule.Method, rule.Path)
		}
		ep := byTemplate[rule.Path]
		if ep == nil {
			ep = rt.add(rule.Path)
			byTemplate[rule.Path] = ep
		}
		for _, r := range ep.byMethod {
			if r.Method == rule.Method {
				return nil, fmt.Errorf("policy: two rules for %s %s", rule.Method, rule.Path)
			}
		}
		qs, err := compileQuery(rule, sr)
		if err != nil {
			return nil, err
		}
		ep.byMethod = append(ep.byMethod, rule)
		ep.query = append(ep.query, qs)
		ep.paramIdx = append(ep.paramIdx, ep.ParamIndex(rule.Param))
		if err := checkRule(rule, ep); err != nil {
			return nil, err
		}
	}
	return rt, nil
}

func checkRule(rule *Rule, ep *Endpoint) error {
	if (rule.Strategy == Path || rule.Strategy == Owner) && ep.ParamIndex(rule.Param) < 0 {
		return fmt.Errorf("policy: %s %s checks unknown path parameter %q", rule.Method, rule.Path, rule.Param)
	}
	return nil
}

func (rt *Router) add(template string) *Endpoint {
	ep := &Endpoint{Template: template}
	n := &rt.root
	for _, seg := range strings.Split(strings.TrimPrefix(template, "/"), "/") {
		if strings.HasPrefix(seg, "{") {
			name := strings.Trim(seg, "{}")
			ep.ParamNames = append(ep.ParamNames, name)
			ep.intParam = append(ep.intParam, isIntParam(name))
			if n.param == nil {
				n.param = &node{}
			}
			n = n.param
			continue
		}
		if n.literal == nil {
			n.literal = map[string]*node{}
		}
		child := n.literal[seg]
		if child == nil {
			child = &node{}
			n.literal[seg] = child
		}
		n = child
	}
	n.endpoint = ep
	rt.endpoints = append(rt.endpoints, ep)
	return ep
}

// isIntParam: every id parameter of the spec is an integer; the string ones
// are names, addresses and stake uids.
func isIntParam(name string) bool {
	return strings.HasSuffix(name, "_id") || name == "index"
}

// Endpoints lists every endpoint, for tests and documentation.
func (rt *Router) Endpoints() []*Endpoint { return rt.endpoints }

// Match finds the endpoint of path and fills ps. It allocates nothing.
func (rt *Router) Match(path []byte, ps *PathParams) (*Endpoint, error) {
	if len(path) < 2 || path[0] != '/' {
		return nil, ErrUnknownPath
	}
	ps.n = 0
	n := &rt.root
	rest := path[1:]
	for {
		i := 0
		for i < len(rest) && rest[i] != '/' {
			i++
		}
		seg := rest[:i]
		if err := checkSegment(seg); err != nil {
			return nil, err
		}
		if child, ok := n.literal[string(seg)]; ok {
			n = child
		} else if n.param != nil && ps.n < MaxPathParams {
			ps.raw[ps.n] = seg
			ps.n++
			n = n.param
		} else {
			return nil, ErrUnknownPath
		}
		if i == len(rest) {
			break
		}
		rest = rest[i+1:]
	}
	if n.endpoint == nil {
		return nil, ErrUnknownPath
	}
	return n.endpoint, parseParams(n.endpoint, ps)
}

func parseParams(ep *Endpoint, ps *PathParams) error {
	for i := 0; i < ps.n; i++ {
		ps.ints[i] = 0
		if !ep.intParam[i] {
			continue
		}
		v, ok := parseID(ps.raw[i])
		if !ok {
			return ErrBadPathParam
		}
		ps.ints[i] = v
	}
	return nil
}

// checkSegment refuses what an upstream or an intermediary could read
// differently from the gateway.
func checkSegment(seg []byte) error {
	if len(seg) == 0 {
		return ErrAmbiguousPath // "//" or a trailing slash
	}
	if seg[0] == '.' && (len(seg) == 1 || (len(seg) == 2 && seg[1] == '.')) {
		return ErrAmbiguousPath
	}
	for _, c := range seg {
		if !pathByte[c] {
			return ErrAmbiguousPath
		}
	}
	return nil
}

// pathByte is RFC 3986's unreserved set: letters, digits, '-', '.', '_', '~'.
// Every path of the spec, and every value its path parameters take (ids,
// currency names, addresses, stake uids), fits in it.
var pathByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['.'], t['_'], t['~'] = true, true, true, true
	return t
}()

// parseID accepts a canonical non-negative decimal int64: digits only, no
// sign, no leading zero, at most 18 digits.
func parseID(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}
