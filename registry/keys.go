package registry

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// FileCreate files a creation request for a key named name bound to entities
// on behalf of admin actor. The key is created in PENDING_APPROVAL; it
// becomes PENDING_SECRET once Quorum other admins approve. A quorum the other
// active admins cannot reach is refused with ErrQuorumUnreachable.
func (r *Registry) FileCreate(ctx context.Context, actor, name string, entities []int64) (Key, Request, error) {
	return r.FileCreateKey(ctx, actor, NewKey{Name: name, Entities: entities})
}

// FileCreateKey is FileCreate with every attribute a key may be created
// with, its client certificate binding included.
func (r *Registry) FileCreateKey(ctx context.Context, actor string, n NewKey) (Key, Request, error) {
	name, err := cleanName("name", n.Name, MaxNameLen)
	if err != nil {
		return Key{}, Request{}, err
	}
	_, entitiesJSON, err := canonicalEntities(n.Entities)
	if err != nil {
		return Key{}, Request{}, err
	}
	now := r.now()
	kid, err := newID(keyIDPrefix, now)
	if err != nil {
		return Key{}, Request{}, err
	}
	rid, err := newID(requestIDPrefix, now)
	if err != nil {
		return Key{}, Request{}, err
	}
	k, req, err := r.change(ctx, r.scripts.fileCreate, "file create request", now,
		actor, kid, rid, name, entitiesJSON, r.quorum, now.Add(r.ttl).UnixMilli(), n.ClientCert.String())
	if err == nil {
		r.log.Info("key creation requested", "admin_id", actor, "key_id", k.ID, "request_id", req.ID)
	}
	return k, req, err
}

// Reveal generates the key's secret and returns it, exactly once, to the admin
// who requested the key, after approval. Only the secret's SHA-256 is stored.
// Later calls get ErrGone; of concurrent calls exactly one succeeds. With
// ErrNotReplicated it returns the key and its secret too: the master has
// them, and losing the only copy would leave a key nobody can use.
func (r *Registry) Reveal(ctx context.Context, actor, keyID string) (Key, string, error) {
	if !validID(keyID, keyIDPrefix) {
		return Key{}, "", notFoundf("no key %q", keyID)
	}
	secret, err := GenerateKey()
	if err != nil {
		return Key{}, "", err
	}
	hash := KeyHash([]byte(secret))
	k, _, err := r.change(ctx, r.scripts.reveal, "reveal key", r.now(),
		actor, keyID, hex.EncodeToString(hash[:]), secret[:DisplayPrefixLen])
	if errors.Is(err, ErrNotReplicated) && k.ID != "" {
		// The key is revealed on the master and this answer is the only
		// copy of its secret: give it, with the error, rather than lose it.
		// If a failover does discard the change, the key is back to
		// PENDING_SECRET and its requester reveals it again.
		r.log.Warn("key revealed, not yet confirmed by a replica", "admin_id", actor, "key_id", k.ID)
		return k, secret, err
	}
	if err != nil {
		return Key{}, "", err
	}
	r.log.Info("key revealed", "admin_id", actor, "key_id", k.ID, "display_prefix", k.DisplayPrefix)
	return k, secret, nil
}

// Suspend makes an ACTIVE key refuse requests at once; any active admin may.
func (r *Registry) Suspend(ctx context.Context, actor, keyID string) (Key, error) {
	return r.setSuspended(ctx, actor, keyID, "suspend")
}

// Unsuspend reactivates a SUSPENDED key; refused (ErrConflict) while a
// revocation of it is pending.
func (r *Registry) Unsuspend(ctx context.Context, actor, keyID string) (Key, error) {
	return r.setSuspended(ctx, actor, keyID, "unsuspend")
}

func (r *Registry) setSuspended(ctx context.Context, actor, keyID, verb string) (Key, error) {
	if !validID(keyID, keyIDPrefix) {
		return Key{}, notFoundf("no key %q", keyID)
	}
	k, _, err := r.change(ctx, r.scripts.suspend, verb+" key", r.now(), actor, keyID, verb)
	if err == nil {
		r.log.Info("key "+verb+"ed", "admin_id", actor, "key_id", k.ID, "status", k.Status)
	}
	return k, err
}

// Key returns one key, expiring its pending request first if it is due.
func (r *Registry) Key(ctx context.Context, id string) (Key, error) {
	if !validID(id, keyIDPrefix) {
		return Key{}, notFoundf("no key %q", id)
	}
	k, _, err := r.change(ctx, r.scripts.read, "read key", r.now(), "key", id)
	if errors.Is(err, ErrNotFound) {
		return Key{}, notFoundf("no key %q", id)
	}
	return k, err
}

// ListKeys returns a page of keys, newest first. cursor is "" or the
// NextCursor of the previous page; limit 0 means DefaultPageLen.
func (r *Registry) ListKeys(ctx context.Context, cursor string, limit int) (Page[Key], error) {
	items, next, err := r.list(ctx, "keys", "key:", keyIDPrefix, cursor, limit)
	if err != nil {
		return Page[Key]{}, err
	}
	page := Page[Key]{Items: make([]Key, 0, len(items)), NextCursor: next}
	for _, f := range items {
		k, err := parseKey(f)
		if err != nil {
			return Page[Key]{}, err
		}
		page.Items = append(page.Items, k)
	}
	return page, nil
}

// KeyByHash is the proxy's lookup on a cache miss: one Redis round trip, no
// writes. It returns the record whatever its status (only ACTIVE may
// authenticate), ErrNotFound for an unknown hash and ErrUnavailable when
// Redis cannot answer.
func (r *Registry) KeyByHash(ctx context.Context, hash [32]byte) (Key, error) {
	index := r.key("keyhash:" + hex.EncodeToString(hash[:]))
	v, err := r.scripts.keyByHash.Run(ctx, r.client, []string{index}, r.prefix).Result()
	if err != nil {
		err = classify(err, "no key with this hash")
		r.logFailure("key by hash", err)
		return Key{}, err
	}
	f, err := toFields(v)
	if err != nil {
		return Key{}, err
	}
	return parseKey(f)
}

// change runs a state script that answers {key hash, request hash}.
func (r *Registry) change(ctx context.Context, s *redis.Script, what string, now time.Time, args ...any) (Key, Request, error) {
	v, err := r.run(ctx, s, what, now, args...)
	if v == nil {
		return Key{}, Request{}, err
	}
	applied := err // nil, or ErrNotReplicated with the applied change
	kf, rf, err := pair(v)
	if err != nil {
		return Key{}, Request{}, err
	}
	var k Key
	var req Request
	if len(kf) > 0 {
		if k, err = parseKey(kf); err != nil {
			return Key{}, Request{}, err
		}
	}
	if len(rf) > 0 {
		if req, err = parseRequest(rf); err != nil {
			return Key{}, Request{}, err
		}
	}
	return k, req, applied
}

// list reads one page of an index with the list script.
func (r *Registry) list(ctx context.Context, index, rec, idPrefix, cursor string, limit int) ([]fields, string, error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, "", err
	}
	if cursor != "" && !validID(cursor, idPrefix) {
		return nil, "", invalidf("cursor %q is not a cursor of this list", cursor)
	}
	v, err := r.run(ctx, r.scripts.list, "list "+index, r.now(), index, rec, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, "", fmt.Errorf("registry: unexpected script reply %T", v)
	}
	items := make([]fields, 0, len(arr))
	for _, e := range arr {
		f, err := toFields(e)
		if err != nil {
			return nil, "", err
		}
		items = append(items, f)
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		next = items[limit-1]["id"]
	}
	return items, next, nil
}
