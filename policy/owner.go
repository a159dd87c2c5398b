package policy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/valyala/fastjson"
)

// Upstream reads the Ledger API with the operator's credentials
// (upstream.Client implements it).
type Upstream interface {
	// Fetch GETs pathAndQuery and returns the status and the body, which the
	// caller owns. An answer that is not data may come as an error
	// instead (upstream.Client reports a 5xx and the upstream's 420 as
	// *upstream.StatusError); errors are passed on as they are, for the
	// proxy to map.
	Fetch(ctx context.Context, pathAndQuery string) (status int, body []byte, err error)
}

// ErrObjectNotFound: the upstream answered 404 for an owner lookup.
var ErrObjectNotFound = errors.New("policy: object not found upstream")

// UpstreamError is an upstream answer the policy cannot use: to a read
// of its own, a status that is neither 200 nor 404; to a forwarded
// request, a 5xx (Verify). The proxy answers it like any upstream failure.
type UpstreamError struct{ Status int }

func (e *UpstreamError) Error() string { return "policy: upstream answered " + strconv.Itoa(e.Status) }

// Ownership is what decides an object's scope: its account (transactions,
// digests, messages) or its target (requests).
type Ownership struct {
	Kind TargetKind
	ID   int64
}

type ownerKey struct {
	kind OwnerKind
	id   int64
}

// Owners resolves and caches objects' owners. Owners never change (a
// transaction stays in its account, a request keeps its target), so an
// entry is kept until evicted by size. Concurrent lookups of one object
// make one upstream read: the Upstream coalesces identical reads
// (upstream.Shared). Safe for concurrent use.
type Owners struct {
	up    Upstream
	cache *lru.Cache[ownerKey, Ownership]
}

// NewOwners returns an owner cache of size entries reading through up.
func NewOwners(up Upstream, size int) (*Owners, error) {
	c, err := lru.New[ownerKey, Ownership](size)
	if err != nil {
		return nil, fmt.Errorf("policy: owner cache: %w", err)
	}
	return &Owners{up: up, cache: c}, nil
}

// Cached returns a known owner's id without I/O.
func (o *Owners) Cached(kind OwnerKind, id int64) (int64, bool) {
	if o == nil {
		return 0, false
	}
	ow, ok := o.cache.Get(ownerKey{kind, id})
	return ow.ID, ok
}

// Remember records an owner learnt from a verified body.
func (o *Owners) Remember(kind OwnerKind, id int64, ow Ownership) {
	o.cache.Add(ownerKey{kind, id}, ow)
}

// Lookup returns the owner of an object, from the cache or from the
// upstream. A
// request's transaction target is resolved too, so TargetInScope can decide
// from the cache afterwards.
func (o *Owners) Lookup(ctx context.Context, kind OwnerKind, id int64) (Ownership, error) {
	ow, err := o.lookup(ctx, kind, id)
	if err != nil || kind != RequestOwner || ow.Kind != TargetTransaction {
		return ow, err
	}
	if _, err := o.lookup(ctx, TransactionOwner, ow.ID); err != nil && !errors.Is(err, ErrObjectNotFound) {
		return Ownership{}, err
	}
	return ow, nil
}

func (o *Owners) lookup(ctx context.Context, kind OwnerKind, id int64) (Ownership, error) {
	k := ownerKey{kind, id}
	if ow, ok := o.cache.Get(k); ok {
		return ow, nil
	}
	status, body, err := o.up.Fetch(ctx, ownerPath(kind, id))
	switch {
	case err != nil:
		return Ownership{}, err
	case status == http.StatusNotFound:
		return Ownership{}, ErrObjectNotFound
	case status != http.StatusOK:
		return Ownership{}, &UpstreamError{Status: status}
	}
	ow, err := parseOwner(kind, body)
	if err != nil {
		return Ownership{}, err
	}
	o.cache.Add(k, ow)
	return ow, nil
}

func ownerPath(kind OwnerKind, id int64) string {
	prefix := [...]string{TransactionOwner: "/transactions/", DigestOwner: "/digests/", MessageOwner: "/messages/", RequestOwner: "/requests/"}[kind]
	return prefix + strconv.FormatInt(id, 10)
}

func parseOwner(kind OwnerKind, body []byte) (Ownership, error) {
	v, err := fastjson.ParseBytes(body)
	if err != nil {
		return Ownership{}, ErrMalformedBody
	}
	if kind != RequestOwner {
		acct, err := intField(v, "account_id")
		return Ownership{Kind: TargetAccount, ID: acct}, err
	}
	target, err := intField(v, "target_id")
	if err != nil {
		return Ownership{}, err
	}
	tt, err := stringField(v, "target_type")
	if err != nil {
		return Ownership{}, err
	}
	return Ownership{Kind: ClassifyTarget(tt), ID: target}, nil
}
