package registry

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Status is a key's place in its lifecycle (docs/design.md §5), spelled like the
// upstream's own read-only API keys:
//
//	PENDING_APPROVAL → PENDING_SECRET → ACTIVE ⇄ SUSPENDED → REVOKED
//
// and ABORTED for a creation that was rejected, aborted or expired. Only an
// ACTIVE key authenticates.
type Status string

const (
	StatusPendingApproval Status = "PENDING_APPROVAL"
	StatusPendingSecret   Status = "PENDING_SECRET"
	StatusActive          Status = "ACTIVE"
	StatusSuspended       Status = "SUSPENDED"
	StatusRevoked         Status = "REVOKED"
	StatusAborted         Status = "ABORTED"
)

// Key is a reporting API key's record. It never holds the secret.
type Key struct {
	ID       string
	Name     string
	Entities []int64 // sorted, without duplicates
	Status   Status
	// Generation rises with every change of the record; the event announcing
	// a change carries the new value, so a cache can refuse to re-insert an
	// older record.
	Generation uint64
	// hash is the hex SHA-256 of the secret, "" before reveal: what caches
	// are keyed by (Event).
	hash          string
	DisplayPrefix string // the key's first DisplayPrefixLen characters; "" before reveal
	CreatedBy     string // admin id of the requester, the only admin who may reveal
	CreatedAt     time.Time
	RevealedAt    time.Time // zero before reveal
	LastUsedAt    time.Time // zero if never used; see RecordUsage
	// PendingRequest is the id of the key's one pending request, or "".
	PendingRequest string
	// RateLimit is the key's own budget; the zero value is the gateway's
	// default. It changes only through an approved edit.
	RateLimit RateOverride
	// ClientCert is the client certificate the key is bound to, set at
	// creation or by an approved edit; the zero value binds none.
	ClientCert CertFingerprint
}

// RateOverride is a key's own rate limit as stored: Rate is "N/s" or "N/m"
// and Burst its burst; the zero value is the gateway's default. The registry
// stores it as given: package ratelimit parses and validates it (NewLimit),
// before an edit is filed and when a key is loaded.
type RateOverride struct {
	Rate  string
	Burst int
}

// IsZero reports whether o is the gateway's default.
func (o RateOverride) IsZero() bool { return o == RateOverride{} }

// RequestKind says what a request asks for.
type RequestKind string

const (
	KindCreate RequestKind = "create"
	KindEdit   RequestKind = "edit"
	KindRevoke RequestKind = "revoke"
)

// RequestStatus is a request's outcome; only PENDING requests take votes.
type RequestStatus string

const (
	RequestPending  RequestStatus = "PENDING"
	RequestApproved RequestStatus = "APPROVED"
	RequestRejected RequestStatus = "REJECTED"
	RequestAborted  RequestStatus = "ABORTED"
	RequestExpired  RequestStatus = "EXPIRED"
)

// Valid reports whether s is one of the five statuses.
func (s RequestStatus) Valid() bool {
	switch s {
	case RequestPending, RequestApproved, RequestRejected, RequestAborted, RequestExpired:
		return true
	}
	return false
}

// Vote is one admin's approval or rejection.
type Vote struct {
	AdminID   string
	AdminName string
	At        time.Time
	// DiscountedAt is when an approval stopped counting towards the quorum:
	// its admin was disabled while the request was pending. It stays
	// listed, so approvers see who had approved. Zero while it counts; a
	// closed request keeps the votes as they counted when it closed.
	DiscountedAt time.Time
}

// Counted reports whether the vote counts (counted, for a closed request).
func (v Vote) Counted() bool { return v.DiscountedAt.IsZero() }

// KeyState is one side of a request's diff; only the fields the request
// concerns are set (name and entities for create and edit, the rate limit
// and the client certificate when an edit changes them or a creation sets
// the certificate, status for revoke).
type KeyState struct {
	Name     string  `json:"name,omitempty"`
	Entities []int64 `json:"entities,omitempty"`
	Status   Status  `json:"status,omitempty"`
	// RateLimit is "N/s" or "N/m", or "default" for the gateway's default;
	// RateLimitBurst goes with an override.
	RateLimit      string `json:"rate_limit,omitempty"`
	RateLimitBurst int    `json:"rate_limit_burst,omitempty"`
	// ClientCert is the hex SHA-256 of the client certificate the key is
	// bound to, or NoClientCert; set when a creation binds one or an edit
	// changes it.
	ClientCert string `json:"client_cert_sha256,omitempty"`
}

// Request is a quorum request on a key.
type Request struct {
	ID              string
	Kind            RequestKind
	KeyID           string
	Status          RequestStatus
	RequestedBy     string // admin id
	RequestedByName string
	Quorum          int // approvals needed, fixed when the request was filed
	Approvals       []Vote
	Rejections      []Vote
	Before, After   KeyState // the diff the approvers vote on
	CreatedAt       time.Time
	ExpiresAt       time.Time
	ClosedAt        time.Time // zero while pending
	ClosedBy        string    // admin id, or "system" for an expiry
}

// CountedApprovals is the number of approvals that count towards the quorum.
func (r Request) CountedApprovals() int {
	n := 0
	for _, v := range r.Approvals {
		if v.Counted() {
			n++
		}
	}
	return n
}

// AdminStatus is ACTIVE or DISABLED; a disabled admin can no longer act or
// vote, and their approvals of pending requests stop counting.
type AdminStatus string

const (
	AdminActive   AdminStatus = "ACTIVE"
	AdminDisabled AdminStatus = "DISABLED"
)

// Admin is a workspace admin. Their token is never stored, only its SHA-256.
type Admin struct {
	ID         string
	Name       string
	Status     AdminStatus
	CreatedAt  time.Time
	DisabledAt time.Time
}

// Page is one page of a list; NextCursor is "" on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// Event types on EventsChannel.
const (
	// EventKey: a key record changed (published by the script of the change).
	EventKey = "key"
	// EventScope: what entities cover changed upstream (InvalidateScope).
	EventScope = "scope"
	// EventPurge: cached upstream answers went stale (PublishPurge).
	EventPurge = "purge"
)

// Event is the invalidation message published on EventsChannel: a key's
// change, by the same script as the change, or a scope change.
type Event struct {
	Type       string `json:"type"` // EventKey, EventScope or EventPurge
	ID         string `json:"id,omitempty"`
	Generation uint64 `json:"generation,omitempty"`
	// Hash is the hex SHA-256 of the key's secret, "" before reveal, so that
	// caches keyed by hash can evict without a lookup.
	Hash string `json:"hash,omitempty"`
	// Entities whose scope changed; All when any entity's may have.
	Entities []int64 `json:"entities,omitempty"`
	All      bool    `json:"all,omitempty"`
	// Heads are, for EventPurge, the request targets' heads whose cached
	// answers to drop.
	Heads []string `json:"heads,omitempty"`
}

// ParseEvent decodes and checks one message of EventsChannel.
func ParseEvent(b []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return Event{}, fmt.Errorf("registry: event: %w", err)
	}
	if e.Type == EventPurge {
		if err := checkPurge(e.Heads); err != nil {
			return Event{}, fmt.Errorf("registry: event: %w", err)
		}
		return e, nil
	}
	if e.Type == EventScope {
		if !e.All && len(e.Entities) == 0 {
			return Event{}, fmt.Errorf("registry: event: scope event names nothing: %.200q", b)
		}
		return e, nil
	}
	if e.Type != EventKey || !validID(e.ID, keyIDPrefix) || e.Generation == 0 {
		return Event{}, fmt.Errorf("registry: event: not a key event: %.200q", b)
	}
	if e.Hash != "" {
		if _, err := e.HashBytes(); err != nil {
			return Event{}, err
		}
	}
	return e, nil
}

// HashBytes decodes Hash; it fails on "" (a key not yet revealed).
func (e Event) HashBytes() ([32]byte, error) {
	var h [32]byte
	if len(e.Hash) != 2*len(h) {
		return h, fmt.Errorf("registry: event: hash %.80q is not a hex SHA-256", e.Hash)
	}
	if _, err := hex.Decode(h[:], []byte(e.Hash)); err != nil {
		return h, fmt.Errorf("registry: event: hash %.80q is not a hex SHA-256", e.Hash)
	}
	return h, nil
}
