package ledgersim

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"reportgate/internal/spec"
)

// handler answers one operation: the value to encode as JSON, or an error
// that toAPIError maps to a status and Error body. It runs under the read
// lock and must not change the store.
type handler func(c *call) (any, error)

// call is what a handler sees of one request.
type call struct {
	s           *Server
	st          *store
	r           *http.Request
	q           query
	leaky       bool
	maxPageSize int
	now         time.Time
}

func (c *call) pathInt(name string) (int, bool) {
	n, err := strconv.Atoi(c.r.PathValue(name))
	return n, err == nil
}

// scopeParams are the filters that carry a caller's scope; leaky mode
// ignores them on every list.
var scopeParams = []string{
	"entity", "account", "parent", "user", "group", "members", "target_id", "target_type",
	"account_id", "created_by", "approved_by", "pending_by", "rejected_by", "id",
}

// operation is one spec operation bound to its handler.
type operation struct {
	route  spec.Route
	params map[string]spec.Param
	h      handler // nil: declared by the spec, not simulated (501)
	list   bool    // a paginated search: leaky mode strips its scope filters
}

// endpoint serves one path template, dispatching on the method.
type endpoint struct {
	s   *Server
	ops map[string]*operation
}

// apiMux routes every operation of internal/spec to its handler. Every GET
// (and the PUT of /notifications/configuration) must have one, and every
// handler must name an operation of the spec: New fails otherwise.
func (s *Server) apiMux() (*http.ServeMux, error) {
	doc, err := spec.Load()
	if err != nil {
		return nil, err
	}
	table := s.handlers()
	endpoints := map[string]*endpoint{}
	var problems []string
	for _, rt := range doc.Routes {
		key := rt.Method + " " + rt.Path
		h, ok := table[key]
		delete(table, key)
		if !ok && (rt.Method == http.MethodGet || rt.Method == http.MethodPut) {
			problems = append(problems, "no handler for "+key)
		}
		ep := endpoints[rt.Path]
		if ep == nil {
			ep = &endpoint{s: s, ops: map[string]*operation{}}
			endpoints[rt.Path] = ep
		}
		ep.ops[rt.Method] = &operation{route: rt, params: rt.QueryParams(), h: h, list: isList(rt)}
	}
	for key := range table {
		problems = append(problems, "handler for an operation the spec does not have: "+key)
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("ledgersim: routes: %s", strings.Join(problems, "; "))
	}
	mux := http.NewServeMux()
	for p, ep := range endpoints {
		mux.Handle(p, ep)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, unknownPath(r)) })
	return mux, nil
}

func isList(rt spec.Route) bool {
	return strings.HasPrefix(rt.Response, "_APISearch") || strings.HasPrefix(rt.Response, "Paginated")
}

func unknownPath(r *http.Request) error {
	return &apiError{http.StatusNotFound, "NotFound", fmt.Sprintf("no operation at %s %s", r.Method, r.URL.EscapedPath())}
}

// ServeHTTP checks the method and the query, then runs the handler under
// the read lock and encodes its answer after releasing it.
func (ep *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := ep.ops[r.Method]
	switch {
	case !ok:
		w.Header().Set("Allow", ep.allow())
		writeError(w, &apiError{http.StatusMethodNotAllowed, "MethodNotAllowed",
			fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.EscapedPath(), ep.allow())})
		return
	case op.h == nil:
		writeError(w, &apiError{http.StatusNotImplemented, "NotImplemented",
			fmt.Sprintf("%s %s is in the spec but not simulated", r.Method, op.route.Path)})
		return
	}
	q, err := parseQuery(op.params, r.URL.RawQuery)
	if err != nil {
		writeError(w, err)
		return
	}
	faults := ep.s.faults.get()
	if op.list && faults.Leaky {
		q = q.without(scopeParams)
	}
	if err := bufferBody(r); err != nil {
		writeError(w, err)
		return
	}
	ep.s.mu.RLock()
	c := &call{s: ep.s, st: ep.s.st, r: r, q: q, leaky: faults.Leaky,
		maxPageSize: ep.s.cfg.MaxPageSize, now: ep.s.cfg.Now()}
	body, err := op.h(c)
	ep.s.mu.RUnlock()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// bufferBody reads a request body (at most maxBody bytes) before the lock
// is taken, so a slow client cannot hold it.
func bufferBody(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return badBody("reading the body: %v", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return nil
}

func (ep *endpoint) allow() string {
	methods := make([]string, 0, len(ep.ops))
	for m := range ep.ops {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	return strings.Join(methods, ", ")
}

// cleanPath answers 404 for paths with empty, "." or ".." segments instead
// of letting ServeMux redirect: the simulator must answer what it was
// asked, not a normalised version of it.
func cleanPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if c := path.Clean(p); p != c && p != c+"/" || strings.Contains(p, "//") {
			writeError(w, unknownPath(r))
			return
		}
		next.ServeHTTP(w, r)
	})
}
