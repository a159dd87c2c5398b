package admin

import (
	"context"
	"net/http"

	"reportgate/registry"
)

func (a *API) listRequests(_ http.ResponseWriter, r *http.Request, _ registry.Admin) (int, any, error) {
	q, err := query(r, "status", "cursor", "limit")
	if err != nil {
		return 0, nil, err
	}
	cursor, limit, err := paging(q)
	if err != nil {
		return 0, nil, err
	}
	page, err := a.reg.ListRequests(r.Context(), registry.RequestStatus(q.Get("status")), cursor, limit)
	if err != nil {
		return 0, nil, err
	}
	out := RequestList{Requests: make([]Request, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, req := range page.Items {
		out.Requests = append(out.Requests, requestView(req))
	}
	return http.StatusOK, out, nil
}

func (a *API) getRequest(_ http.ResponseWriter, r *http.Request, _ registry.Admin) (int, any, error) {
	if _, err := query(r); err != nil {
		return 0, nil, err
	}
	req, err := a.reg.Request(r.Context(), r.PathValue("id"))
	return http.StatusOK, requestView(req), err
}

func (a *API) approve(w http.ResponseWriter, r *http.Request, who registry.Admin) (int, any, error) {
	return a.decide(w, r, who, a.reg.Approve)
}

func (a *API) reject(w http.ResponseWriter, r *http.Request, who registry.Admin) (int, any, error) {
	return a.decide(w, r, who, a.reg.Reject)
}

func (a *API) abort(w http.ResponseWriter, r *http.Request, who registry.Admin) (int, any, error) {
	return a.decide(w, r, who, a.reg.Abort)
}

// decide runs a vote or an abort and answers the request and its key as
// they are afterwards.
func (a *API) decide(w http.ResponseWriter, r *http.Request, who registry.Admin,
	op func(ctx context.Context, actor, id string) (registry.Request, registry.Key, error)) (int, any, error) {
	if err := decodeBody(w, r, &struct{}{}, true); err != nil {
		return 0, nil, err
	}
	req, k, err := op(r.Context(), who.ID, r.PathValue("id"))
	return http.StatusOK, both(k, req), err
}

func (a *API) audit(_ http.ResponseWriter, r *http.Request, _ registry.Admin) (int, any, error) {
	q, err := query(r, "cursor", "limit")
	if err != nil {
		return 0, nil, err
	}
	cursor, limit, err := paging(q)
	if err != nil {
		return 0, nil, err
	}
	page, err := a.reg.Audit(r.Context(), cursor, limit)
	if err != nil {
		return 0, nil, err
	}
	// The whole chain is verified on every call: it is read sequentially in
	// batches, and admins read the log rarely.
	v, err := a.reg.VerifyAudit(r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := AuditPage{Entries: make([]AuditEntry, 0, len(page.Items)), NextCursor: page.NextCursor, Verification: verificationView(v)}
	for _, e := range page.Items {
		out.Entries = append(out.Entries, auditView(e))
	}
	return http.StatusOK, out, nil
}

func (a *API) listAdmins(_ http.ResponseWriter, r *http.Request, _ registry.Admin) (int, any, error) {
	if _, err := query(r); err != nil {
		return 0, nil, err
	}
	admins, err := a.reg.ListAdmins(r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := AdminList{Admins: make([]Admin, 0, len(admins))}
	for _, ad := range admins {
		out.Admins = append(out.Admins, adminView(ad))
	}
	return http.StatusOK, out, nil
}
