package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"reportgate/ratelimit"
	"reportgate/registry"
)

// createBody is POST /v1/keys.
type createBody struct {
	Name     string  `json:"name"`
	Entities []int64 `json:"entities"`
	// ClientCertSHA256 binds the key to a client certificate; absent: none.
	ClientCertSHA256 *string `json:"client_cert_sha256,omitempty"`
}

// editBody is PATCH /v1/keys/{id}. Pointers tell "absent" (keep) from a
// present but empty value (refused).
type editBody struct {
	Name     *string  `json:"name"`
	Entities *[]int64 `json:"entities"`
	// RateLimit is "N/s", "N/m" or "default" (the gateway's);
	// RateLimitBurst goes with N/s or N/m (absent: N).
	RateLimit      *string `json:"rate_limit,omitempty"`
	RateLimitBurst *int    `json:"rate_limit_burst,omitempty"`
	// ClientCertSHA256 binds the key to another client certificate, or
	// "none" unbinds it.
	ClientCertSHA256 *string `json:"client_cert_sha256,omitempty"`
}

func (a *API) listKeys(_ http.ResponseWriter, r *http.Request, _ registry.Admin) (int, any, error) {
	q, err := query(r, "cursor", "limit")
	if err != nil {
		return 0, nil, err
	}
	cursor, limit, err := paging(q)
	if err != nil {
		return 0, nil, err
	}
	page, err := a.reg.ListKeys(r.Context(), cursor, limit)
	if err != nil {
		return 0, nil, err
	}
	keys, err := KeyViews(r.Context(), a.reg, page.Items)
	return http.StatusOK, KeyList{Keys: keys, NextCursor: page.NextCursor}, err
}

func (a *API) getKey(_ http.ResponseWriter, r *http.Request, _ registry.Admin) (int, any, error) {
	if _, err := query(r); err != nil {
		return 0, nil, err
	}
	k, err := a.reg.Key(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	keys, err := KeyViews(r.Context(), a.reg, []registry.Key{k})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, keys[0], nil
}

func (a *API) createKey(w http.ResponseWriter, r *http.Request, who registry.Admin) (int, any, error) {
	var body createBody
	if err := decodeBody(w, r, &body, false); err != nil {
		return 0, nil, err
	}
	cert, err := ClientCertBinding(body.ClientCertSHA256, false, a.clientCerts)
	if err != nil {
		return 0, nil, err
	}
	n := registry.NewKey{Name: body.Name, Entities: body.Entities}
	if cert != nil {
		n.ClientCert = *cert
	}
	k, req, err := a.reg.FileCreateKey(r.Context(), who.ID, n)
	a.notifyFiled(r.Context(), req, err)
	return http.StatusAccepted, both(k, req), err
}

func (a *API) editKey(w http.ResponseWriter, r *http.Request, who registry.Admin) (int, any, error) {
	var body editBody
	if err := decodeBody(w, r, &body, false); err != nil {
		return 0, nil, err
	}
	e, err := NewEdit(body.Name, body.Entities, body.RateLimit, body.RateLimitBurst)
	if err != nil {
		return 0, nil, err
	}
	if e.ClientCert, err = ClientCertBinding(body.ClientCertSHA256, true, a.clientCerts); err != nil {
		return 0, nil, err
	}
	k, req, err := a.reg.FileEdit(r.Context(), who.ID, r.PathValue("id"), e)
	a.notifyFiled(r.Context(), req, err)
	return http.StatusAccepted, both(k, req), err
}

// NewEdit reads an edit as PATCH /v1/keys/{id} and the console take it: a
// nil field keeps the key's value, a present but empty name or entity list
// is refused (it would read as "keep"). The rate limit is rate "N/s", "N/m"
// or "default" (the gateway's), with burst given only with N/s or N/m.
func NewEdit(name *string, entities *[]int64, rate *string, burst *int) (registry.Edit, error) {
	var e registry.Edit
	if name != nil {
		if *name == "" {
			return e, badRequest("name: must not be empty; omit it to keep the current name")
		}
		e.Name = *name
	}
	if entities != nil {
		if len(*entities) == 0 {
			return e, badRequest("entities: must not be empty; omit it to keep the current entities")
		}
		e.Entities = *entities
	}
	var err error
	e.RateLimit, err = rateLimitEdit(rate, burst)
	return e, err
}

// rateLimitEdit reads an edit's rate limit: nil keeps the key's, "default"
// returns it to the gateway's, N/s or N/m sets its own.
func rateLimitEdit(rate *string, burst *int) (*registry.RateOverride, error) {
	switch {
	case rate == nil && burst == nil:
		return nil, nil
	case rate == nil:
		return nil, badRequest("rate_limit_burst: give it with a rate_limit such as 10/s")
	case *rate == "default" && burst != nil:
		return nil, badRequest("rate_limit_burst: the default limit has the gateway's burst; give it with N/s or N/m")
	case *rate == "default":
		return &registry.RateOverride{}, nil
	case burst != nil && *burst < 1:
		return nil, badRequest("rate_limit_burst: must be at least 1; omit it for one period's worth")
	}
	b := 0
	if burst != nil {
		b = *burst
	}
	l, err := ratelimit.NewLimit(*rate, b)
	if err != nil {
		return nil, badRequest(strings.TrimPrefix(err.Error(), ratelimit.ErrInvalid.Error()+": "))
	}
	return &registry.RateOverride{Rate: l.Rate(), Burst: l.Burst}, nil
}

func (a *API) revokeKey(w http.ResponseWriter, r *http.Request, who registry.Admin) (int, any, error) {
	if err := decodeBody(w, r, &struct{}{}, true); err != nil {
		return 0, nil, err
	}
	k, req, conf, err := a.actions.FileRevoke(r.Context(), who.ID, r.PathValue("id"))
	a.notifyFiled(r.Context(), req, err)
	out := both(k, req)
	out.Replicas = &conf
	return http.StatusAccepted, out, err
}

func (a *API) revealKey(w http.ResponseWriter, r *http.Request, who registry.Admin) (int, any, error) {
	if err := decodeBody(w, r, &struct{}{}, true); err != nil {
		return 0, nil, err
	}
	k, secret, err := a.reg.Reveal(r.Context(), who.ID, r.PathValue("id"))
	if errors.Is(err, registry.ErrNotReplicated) && secret != "" {
		return http.StatusOK, Reveal{Secret: secret, Key: keyView(k), Warning: NotReplicatedReveal}, nil
	}
	return http.StatusOK, Reveal{Secret: secret, Key: keyView(k)}, err
}

// NotReplicatedReveal is the warning of a reveal no Redis replica has
// confirmed yet (the API's and the console's).
const NotReplicatedReveal = "the reveal is not confirmed by a Redis replica yet: if a Redis failover discards it, " +
	"this key will not work and will show as ready to reveal again; then reveal it again"

func (a *API) suspendKey(w http.ResponseWriter, r *http.Request, who registry.Admin) (int, any, error) {
	if err := decodeBody(w, r, &struct{}{}, true); err != nil {
		return 0, nil, err
	}
	k, conf, err := a.actions.Suspend(r.Context(), who.ID, r.PathValue("id"))
	return http.StatusOK, KeyChange{Key: keyView(k), Replicas: &conf}, err
}

func (a *API) unsuspendKey(w http.ResponseWriter, r *http.Request, who registry.Admin) (int, any, error) {
	if err := decodeBody(w, r, &struct{}{}, true); err != nil {
		return 0, nil, err
	}
	k, conf, err := a.actions.Unsuspend(r.Context(), who.ID, r.PathValue("id"))
	return http.StatusOK, KeyChange{Key: keyView(k), Replicas: &conf}, err
}

func both(k registry.Key, req registry.Request) KeyAndRequest {
	out := KeyAndRequest{Key: keyView(k)}
	if req.ID != "" {
		v := requestView(req)
		out.Request = &v
	}
	return out
}

func (a *API) notifyFiled(ctx context.Context, req registry.Request, err error) {
	if err == nil && a.filed != nil {
		a.filed(ctx, req)
	}
}

func (a *API) deadLetters(w http.ResponseWriter, r *http.Request, _ registry.Admin) (int, any, error) {
	jobs, err := a.reg.DeadLetters(r.Context(), 100)
	if jobs == nil {
		jobs = []registry.Job{}
	}
	return http.StatusOK, map[string]any{"dead_letters": jobs}, err
}
