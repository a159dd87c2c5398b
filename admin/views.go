package admin

import (
	"context"
	"encoding/json"
	"time"

	"reportgate/registry"
)

// The JSON resources of the admin API. Field names are part of the API
// (docs/admin-api.md): keep them stable. Times are RFC 3339 in UTC; a time
// that has not happened is omitted.

// Key is a reporting key as admins see it: never its secret nor its hash.
type Key struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Entities      []int64   `json:"entities"`
	Status        string    `json:"status"`
	Generation    uint64    `json:"generation"`
	DisplayPrefix string    `json:"display_prefix,omitempty"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	RevealedAt    time.Time `json:"revealed_at,omitzero"`
	LastUsedAt    time.Time `json:"last_used_at,omitzero"`
	// Requests24h is the key's requests in the last 24 hours, as the
	// replicas flushed them (a few seconds behind), by the hour.
	Requests24h    int64  `json:"requests_24h"`
	PendingRequest string `json:"pending_request,omitempty"`
	// RateLimit is the key's own limit ("N/s" or "N/m") with its burst;
	// both are absent for a key on the gateway's default.
	RateLimit      string `json:"rate_limit,omitempty"`
	RateLimitBurst int    `json:"rate_limit_burst,omitempty"`
	// ClientCertSHA256 is the hex SHA-256 of the client certificate the
	// key is bound to; absent for a key bound to none.
	ClientCertSHA256 string `json:"client_cert_sha256,omitempty"`
}

// Vote is one admin's approval or rejection. Counted is false for an
// approval whose admin was disabled while the request was pending: it is
// listed, so approvers see who had approved, but no longer counts towards
// the quorum (since DiscountedAt).
type Vote struct {
	AdminID      string    `json:"admin_id"`
	AdminName    string    `json:"admin_name"`
	At           time.Time `json:"at"`
	Counted      bool      `json:"counted"`
	DiscountedAt time.Time `json:"discounted_at,omitzero"`
}

// Diff is what a request changes: name and entities for create and edit
// (and rate_limit, rate_limit_burst, client_cert_sha256 when an edit
// changes them, client_cert_sha256 when a creation binds one), status for
// revoke.
type Diff struct {
	Before registry.KeyState `json:"before"`
	After  registry.KeyState `json:"after"`
}

// Request is a quorum request.
type Request struct {
	ID              string    `json:"id"`
	Kind            string    `json:"kind"`
	KeyID           string    `json:"key_id"`
	Status          string    `json:"status"`
	RequestedBy     string    `json:"requested_by"`
	RequestedByName string    `json:"requested_by_name"`
	Quorum          int       `json:"quorum"`
	Approvals       []Vote    `json:"approvals"`
	Rejections      []Vote    `json:"rejections"`
	Diff            Diff      `json:"diff"`
	CreatedAt       time.Time `json:"created_at"`
	ExpiresAt       time.Time `json:"expires_at"`
	ClosedAt        time.Time `json:"closed_at,omitzero"`
	ClosedBy        string    `json:"closed_by,omitempty"`
}

// Admin is an admin account; tokens are never returned (they are not stored).
type Admin struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	DisabledAt time.Time `json:"disabled_at,omitzero"`
}

// AuditEntry is one entry of the hash-chained audit log.
type AuditEntry struct {
	ID        string          `json:"id"` // stream entry id, the paging cursor
	Seq       uint64          `json:"seq"`
	Prev      string          `json:"prev"`
	Hash      string          `json:"hash"`
	Time      time.Time       `json:"time"`
	Actor     string          `json:"actor"`
	ActorName string          `json:"actor_name"`
	Action    string          `json:"action"`
	KeyID     string          `json:"key_id,omitempty"`
	RequestID string          `json:"request_id,omitempty"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
}

// Verification is the result of walking the audit chain.
type Verification struct {
	OK       bool        `json:"ok"`
	Checked  uint64      `json:"checked"`
	HeadSeq  uint64      `json:"head_seq"`
	HeadHash string      `json:"head_hash"`
	Broken   *AuditBreak `json:"broken,omitempty"`
}

// AuditBreak locates the first broken entry.
type AuditBreak struct {
	Seq     uint64 `json:"seq"`
	EntryID string `json:"entry_id,omitempty"`
	Reason  string `json:"reason"`
}

// Response envelopes.
type (
	KeyList struct {
		Keys       []Key  `json:"keys"`
		NextCursor string `json:"next_cursor"` // "" on the last page
	}
	// KeyAndRequest answers filing routes and votes.
	KeyAndRequest struct {
		Key     Key      `json:"key"`
		Request *Request `json:"request,omitempty"`
		// Replicas answers a revocation filing: which gateway replicas
		// refuse the key now that it is suspended.
		Replicas *Confirmation `json:"replicas,omitempty"`
	}
	// KeyChange answers suspend and unsuspend: the key, and which gateway
	// replicas applied the change.
	KeyChange struct {
		Key
		Replicas *Confirmation `json:"replicas,omitempty"`
	}
	Reveal struct {
		Secret string `json:"secret"`
		Key    Key    `json:"key"`
		// Warning is set when the reveal is not confirmed by a Redis
		// replica yet: the secret works unless a failover discards the
		// reveal, and then the key is back to PENDING_SECRET, revealed
		// again by its requester.
		Warning string `json:"warning,omitempty"`
	}
	RequestList struct {
		Requests   []Request `json:"requests"`
		NextCursor string    `json:"next_cursor"`
	}
	AuditPage struct {
		Entries      []AuditEntry `json:"entries"`
		NextCursor   string       `json:"next_cursor"`
		Verification Verification `json:"verification"`
	}
	AdminList struct {
		Admins []Admin `json:"admins"`
	}
)

// KeyViews is the view of a page of keys with their usage (last used,
// requests in the last 24 hours), read in one round trip; the API and the
// console show keys through it.
func KeyViews(ctx context.Context, reg *registry.Registry, keys []registry.Key) ([]Key, error) {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	usage, err := reg.Usage(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Key, 0, len(keys))
	for _, k := range keys {
		v := keyView(k)
		if u := usage[k.ID]; u.LastUsed.After(v.LastUsedAt) {
			v.LastUsedAt = u.LastUsed
		}
		v.Requests24h = usage[k.ID].Requests24h
		out = append(out, v)
	}
	return out, nil
}

func keyView(k registry.Key) Key {
	return Key{
		ID: k.ID, Name: k.Name, Entities: k.Entities, Status: string(k.Status), Generation: k.Generation,
		DisplayPrefix: k.DisplayPrefix, CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt,
		RevealedAt: k.RevealedAt, LastUsedAt: k.LastUsedAt, PendingRequest: k.PendingRequest,
		RateLimit: k.RateLimit.Rate, RateLimitBurst: k.RateLimit.Burst, ClientCertSHA256: k.ClientCert.String(),
	}
}

func requestView(r registry.Request) Request {
	return Request{
		ID: r.ID, Kind: string(r.Kind), KeyID: r.KeyID, Status: string(r.Status),
		RequestedBy: r.RequestedBy, RequestedByName: r.RequestedByName, Quorum: r.Quorum,
		Approvals: voteViews(r.Approvals), Rejections: voteViews(r.Rejections),
		Diff:      Diff{Before: r.Before, After: r.After},
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, ClosedAt: r.ClosedAt, ClosedBy: r.ClosedBy,
	}
}

func voteViews(votes []registry.Vote) []Vote {
	out := make([]Vote, 0, len(votes)) // [] rather than null in JSON
	for _, v := range votes {
		out = append(out, Vote{AdminID: v.AdminID, AdminName: v.AdminName, At: v.At,
			Counted: v.Counted(), DiscountedAt: v.DiscountedAt})
	}
	return out
}

// CountedApprovals is the number of approvals that count towards the
// quorum. It reads DiscountedAt, which a server predating Counted leaves
// zero as well.
func (r Request) CountedApprovals() int {
	n := 0
	for _, v := range r.Approvals {
		if v.DiscountedAt.IsZero() {
			n++
		}
	}
	return n
}

func adminView(a registry.Admin) Admin {
	return Admin{ID: a.ID, Name: a.Name, Status: string(a.Status), CreatedAt: a.CreatedAt, DisabledAt: a.DisabledAt}
}

func auditView(e registry.AuditEntry) AuditEntry {
	return AuditEntry{
		ID: e.StreamID, Seq: e.Seq, Prev: e.Prev, Hash: e.Hash, Time: e.Time, Actor: e.Actor,
		ActorName: e.ActorName, Action: e.Action, KeyID: e.KeyID, RequestID: e.RequestID,
		Before: e.Before, After: e.After,
	}
}

func verificationView(v registry.AuditVerification) Verification {
	out := Verification{OK: v.OK, Checked: v.Checked, HeadSeq: v.HeadSeq, HeadHash: v.HeadHash}
	if v.Broken != nil {
		out.Broken = &AuditBreak{Seq: v.Broken.Seq, EntryID: v.Broken.StreamID, Reason: v.Broken.Reason}
	}
	return out
}
