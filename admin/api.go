package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"reportgate/registry"
)

// API serves the admin routes of docs/design.md §5 over a registry. It keeps no
// state of its own and is safe for concurrent use.
type API struct {
	reg    *registry.Registry
	log    *slog.Logger
	routes []route
	// paths answers, for a request no route matched, whether its path exists
	// with another method (405) or not at all (404), in JSON like the rest.
	paths *http.ServeMux
	allow map[string][]string // path pattern → methods
	// filed, when set, hears every request filed (approver notifications).
	filed func(ctx context.Context, req registry.Request)
	// clientCerts: keys may be bound to client certificates (--client-ca).
	clientCerts bool
	// actions suspend, unsuspend and file revocations (actions.go).
	actions *KeyActions
	// budget is the operator's upstream budget; nil without one.
	budget UpstreamBudget
}

// UseKeyActions makes suspend, unsuspend and revoke go through k, which
// applies them to this replica's cache (the gateway shares one with the
// console). By default they apply to no cache.
func (a *API) UseKeyActions(k *KeyActions) { a.actions = k }

// OnRequestFiled sets f to hear every request filed; it is called after
// the request is stored, and its failure does not fail the filing.
func (a *API) OnRequestFiled(f func(ctx context.Context, req registry.Request)) { a.filed = f }

// handler serves one authenticated route: it returns the status and the
// body to send, or an error for statusFor.
type handler func(w http.ResponseWriter, r *http.Request, who registry.Admin) (int, any, error)

type route struct {
	method, path string
	h            handler
}

// NewAPI returns the admin API over reg; a nil logger discards.
func NewAPI(reg *registry.Registry, logger *slog.Logger) *API {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := &API{reg: reg, log: logger, paths: http.NewServeMux(), allow: map[string][]string{},
		actions: NewKeyActions(reg, nil)}
	a.routes = []route{
		{"GET", "/v1/keys", a.listKeys},
		{"POST", "/v1/keys", a.createKey},
		{"GET", "/v1/keys/{id}", a.getKey},
		{"PATCH", "/v1/keys/{id}", a.editKey},
		{"POST", "/v1/keys/{id}/reveal", a.revealKey},
		{"POST", "/v1/keys/{id}/suspend", a.suspendKey},
		{"POST", "/v1/keys/{id}/unsuspend", a.unsuspendKey},
		{"POST", "/v1/keys/{id}/revoke", a.revokeKey},
		{"GET", "/v1/keys/{id}/upstream", a.keyUpstream},
		{"GET", "/v1/requests", a.listRequests},
		{"GET", "/v1/requests/{id}", a.getRequest},
		{"POST", "/v1/requests/{id}/approve", a.approve},
		{"POST", "/v1/requests/{id}/reject", a.reject},
		{"POST", "/v1/requests/{id}/abort", a.abort},
		{"GET", "/v1/audit", a.audit},
		{"GET", "/v1/admins", a.listAdmins},
		{"GET", "/v1/notifications/dead", a.deadLetters},
	}
	for _, rt := range a.routes {
		if a.allow[rt.path] == nil {
			a.paths.HandleFunc(rt.path, func(http.ResponseWriter, *http.Request) {})
		}
		a.allow[rt.path] = append(a.allow[rt.path], rt.method)
	}
	return a
}

// Register adds the admin routes to mux, and a JSON 404/405 for any other
// path under /v1/ (routes others register under /v1/ are more specific and
// keep precedence).
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes {
		mux.Handle(rt.method+" "+rt.path, a.serve(rt.h))
	}
	mux.HandleFunc("/v1/", a.noRoute)
}

func (a *API) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, err := a.authenticate(r.Context(), r.Header.Values("Authorization"))
		status, body := 0, any(nil)
		if err == nil {
			status, body, err = h(w, r, who)
		}
		if err != nil {
			a.fail(w, r, who, err)
			return
		}
		a.log.Debug("admin api", "method", r.Method, "route", r.Pattern, "status", status, "admin_id", who.ID)
		writeJSON(w, status, body)
	})
}

// authenticate resolves the bearer token. An unknown, malformed or disabled
// admin's token is 401; a registry outage stays 503, never 401. A repeated
// Authorization header is 400, as on the partner listener: which copy a
// front proxy or a library reads first is not for us to guess.
func (a *API) authenticate(ctx context.Context, headers []string) (registry.Admin, error) {
	if len(headers) > 1 {
		return registry.Admin{}, badRequest(fmt.Sprintf("Authorization must be sent exactly once, got %d headers", len(headers)))
	}
	header := ""
	if len(headers) == 1 {
		header = headers[0]
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return registry.Admin{}, unauthorized("missing bearer token: send Authorization: Bearer <admin token>")
	}
	who, err := a.reg.AdminByToken(ctx, strings.TrimSpace(token))
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return registry.Admin{}, unauthorized("invalid admin token")
	case errors.Is(err, registry.ErrForbidden):
		return registry.Admin{}, unauthorized("admin token of a disabled admin")
	}
	return who, err
}

func (a *API) noRoute(w http.ResponseWriter, r *http.Request) {
	if _, pattern := a.paths.Handler(r); pattern != "" {
		methods := a.allow[pattern]
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+"; use "+strings.Join(methods, " or "))
		return
	}
	writeError(w, http.StatusNotFound, "no route "+r.Method+" "+r.URL.Path)
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, who registry.Admin, err error) {
	status, _ := statusFor(err)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	a.log.Log(r.Context(), level, "admin api refused", "method", r.Method, "route", r.Pattern,
		"status", status, "admin_id", who.ID, "err", err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="reportgate admin"`)
	}
	writeError(w, status, errorMessage(err, status))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorBody{Message: msg, Name: statusName(status), StatusCode: status})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// Responses may hold a secret (reveal) or the workflow's state: never cache.
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Messages quote "<admin token>" and the like; this is not HTML.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		// Only the view types are encoded: this cannot happen.
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"message":"internal error","name":"InternalServerError","status_code":500}` + "\n")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
