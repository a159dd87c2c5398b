package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
)

// Edit is a proposed change of a key; a zero field keeps the current value.
type Edit struct {
	Name     string
	Entities []int64
	// RateLimit, when not nil, replaces the key's rate limit: the zero
	// value returns the key to the gateway's default. The caller has
	// checked it with package ratelimit (NewLimit) and gives its canonical
	// form (Limit.Rate and Limit.Burst). Raising a limit goes through the
	// quorum like any edit.
	RateLimit *RateOverride
	// ClientCert, when not nil, binds the key to this client certificate;
	// the zero value unbinds it. Through the quorum like any edit.
	ClientCert *CertFingerprint
}

// FileEdit files a request to change a key's name, entities or rate limit,
// applied atomically when the quorum approves. A key has at most one pending
// request (ErrConflict otherwise), so the approvers vote on the state they
// saw.
func (r *Registry) FileEdit(ctx context.Context, actor, keyID string, e Edit) (Key, Request, error) {
	if e.Name == "" && len(e.Entities) == 0 && e.RateLimit == nil && e.ClientCert == nil {
		return Key{}, Request{}, invalidf("edit: give a new name, new entities, a new rate limit, a client certificate, or several")
	}
	var c change
	var err error
	if e.Name != "" {
		if c.name, err = cleanName("name", e.Name, MaxNameLen); err != nil {
			return Key{}, Request{}, err
		}
	}
	if len(e.Entities) > 0 {
		if _, c.entities, err = canonicalEntities(e.Entities); err != nil {
			return Key{}, Request{}, err
		}
	}
	if e.RateLimit != nil {
		if c.rate, c.burst, err = rateArgs(*e.RateLimit); err != nil {
			return Key{}, Request{}, err
		}
	}
	if e.ClientCert != nil {
		c.cert = cmp.Or(e.ClientCert.String(), NoClientCert)
	}
	return r.fileChange(ctx, actor, keyID, KindEdit, c)
}

// change is an edit's arguments to file_change.lua; "" keeps a field.
type change struct {
	name, entities string
	// rate is "N/s", "N/m" or "default"; burst goes with it.
	rate  string
	burst int
	// cert is the hex fingerprint to bind, or NoClientCert to unbind.
	cert string
}

// rateArgs returns an edit's rate limit in its stored form.
func rateArgs(o RateOverride) (string, int, error) {
	switch {
	case o.IsZero():
		return "default", 0, nil
	case o.Rate == "" || o.Rate == "default" || o.Burst < 1:
		return "", 0, invalidf("rate limit %q burst %d: give a rate such as 10/s with a burst of at least 1", o.Rate, o.Burst)
	}
	return o.Rate, o.Burst, nil
}

// FileRevoke files a request to revoke a key. The key is SUSPENDED while the
// request is pending; approval makes it REVOKED for ever, and rejection, abort
// or expiry restores the status it had.
func (r *Registry) FileRevoke(ctx context.Context, actor, keyID string) (Key, Request, error) {
	return r.fileChange(ctx, actor, keyID, KindRevoke, change{})
}

func (r *Registry) fileChange(ctx context.Context, actor, keyID string, kind RequestKind, c change) (Key, Request, error) {
	if !validID(keyID, keyIDPrefix) {
		return Key{}, Request{}, notFoundf("no key %q", keyID)
	}
	now := r.now()
	rid, err := newID(requestIDPrefix, now)
	if err != nil {
		return Key{}, Request{}, err
	}
	k, req, err := r.change(ctx, r.scripts.fileChange, "file "+string(kind)+" request", now,
		actor, keyID, rid, string(kind), r.quorum, now.Add(r.ttl).UnixMilli(), c.name, c.entities, c.rate, c.burst, c.cert)
	if err == nil {
		r.log.Info("key "+string(kind)+" requested", "admin_id", actor, "key_id", k.ID, "request_id", req.ID)
	}
	return k, req, err
}

// Approve records actor's approval. The requester's own approval is refused
// (ErrForbidden); a repeated approval changes nothing; the approval that
// reaches the quorum applies the request. It returns the request and its key
// as they are afterwards.
func (r *Registry) Approve(ctx context.Context, actor, requestID string) (Request, Key, error) {
	return r.vote(ctx, actor, requestID, "approve")
}

// Reject closes the request as REJECTED: one rejection is enough.
func (r *Registry) Reject(ctx context.Context, actor, requestID string) (Request, Key, error) {
	return r.vote(ctx, actor, requestID, "reject")
}

func (r *Registry) vote(ctx context.Context, actor, requestID, verb string) (Request, Key, error) {
	if !validID(requestID, requestIDPrefix) {
		return Request{}, Key{}, notFoundf("no request %q", requestID)
	}
	k, req, err := r.change(ctx, r.scripts.vote, verb+" request", r.now(), actor, requestID, verb)
	if err == nil {
		r.log.Info("request vote", "verb", verb, "admin_id", actor, "request_id", req.ID,
			"status", req.Status, "approvals", req.CountedApprovals(), "key_id", k.ID)
	}
	return req, k, err
}

// Abort lets the requester withdraw their own pending request.
func (r *Registry) Abort(ctx context.Context, actor, requestID string) (Request, Key, error) {
	if !validID(requestID, requestIDPrefix) {
		return Request{}, Key{}, notFoundf("no request %q", requestID)
	}
	k, req, err := r.change(ctx, r.scripts.abort, "abort request", r.now(), actor, requestID)
	if err == nil {
		r.log.Info("request aborted", "admin_id", actor, "request_id", req.ID, "key_id", k.ID)
	}
	return req, k, err
}

// Request returns one request, expiring it first if it is due.
func (r *Registry) Request(ctx context.Context, id string) (Request, error) {
	if !validID(id, requestIDPrefix) {
		return Request{}, notFoundf("no request %q", id)
	}
	_, req, err := r.change(ctx, r.scripts.read, "read request", r.now(), "req", id)
	if errors.Is(err, ErrNotFound) {
		return Request{}, notFoundf("no request %q", id)
	}
	return req, err
}

// ListRequests returns a page of requests, newest first, all of them when
// status is "" or those with that status.
func (r *Registry) ListRequests(ctx context.Context, status RequestStatus, cursor string, limit int) (Page[Request], error) {
	index := "reqs:all"
	if status != "" {
		if !status.Valid() {
			return Page[Request]{}, invalidf("status %q: give PENDING, APPROVED, REJECTED, ABORTED or EXPIRED", status)
		}
		index = "reqs:" + string(status)
	}
	items, next, err := r.list(ctx, index, "req:", requestIDPrefix, cursor, limit)
	if err != nil {
		return Page[Request]{}, err
	}
	page := Page[Request]{Items: make([]Request, 0, len(items)), NextCursor: next}
	for _, f := range items {
		req, err := parseRequest(f)
		if err != nil {
			return Page[Request]{}, err
		}
		page.Items = append(page.Items, req)
	}
	return page, nil
}

// expireBatch bounds the work of one expiry script so that Redis is never
// blocked for long.
const expireBatch = 100

// ExpireDue expires every pending request whose time has passed and returns
// how many it expired. Reads and votes expire lazily anyway; serve calls this
// periodically so that revocations restore their key and stale requests leave
// the pending list without anyone looking.
func (r *Registry) ExpireDue(ctx context.Context) (int, error) {
	total := 0
	for {
		v, err := r.run(ctx, r.scripts.expireDue, "expire due requests", r.now(), expireBatch)
		if err != nil {
			return total, err
		}
		counts, _ := v.([]any)
		if len(counts) != 2 {
			return total, fmt.Errorf("registry: unexpected script reply %v", v)
		}
		expired, _ := counts[0].(int64)
		seen, _ := counts[1].(int64)
		total += int(expired)
		if seen < expireBatch {
			break
		}
	}
	if total > 0 {
		r.log.Info("requests expired", "count", total)
	}
	return total, nil
}

// RunExpirer calls ExpireDue every interval until ctx is done. Run it in its
// own goroutine; it returns when ctx is cancelled. Errors are logged: the
// next tick retries.
func (r *Registry) RunExpirer(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := r.ExpireDue(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("registry: expiring due requests failed", "err", err)
			}
		}
	}
}
