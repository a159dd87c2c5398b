package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
)

// Admin console sessions. An admin signs in by pasting their token once; the
// console exchanges it for a session whose id lives only in the browser's
// cookie. Redis holds the SHA-256 of the id, never the id nor the token:
//
//	P session:<hex sha256 of the id>  hash  admin created_at seen_at
//
// A session ends when it has been idle longer than SessionTimeouts.Idle, when
// it is older than SessionTimeouts.Absolute, when its admin is disabled, or at
// sign-out. Every lookup checks all of them on the registry's clock.

// SessionIDPrefix starts every console session id; an id has the shape of a
// key (prefix, 256 bits of randomness, a checksum), so a forged or truncated
// cookie is refused offline.
const SessionIDPrefix = "lrs_"

// SessionTimeouts bound a session's life.
type SessionTimeouts struct {
	// Idle ends a session not used for this long.
	Idle time.Duration
	// Absolute ends a session this long after sign-in, however busy.
	Absolute time.Duration
}

// ErrSessionEnded: the session is unknown, expired, signed out, or its admin
// was disabled; the admin must sign in again. It matches ErrNotFound too.
var ErrSessionEnded = &Error{Kind: ErrNotFound, Reason: "console session ended"}

// Session is a signed-in admin's console session.
type Session struct {
	Admin     Admin
	CreatedAt time.Time
	SeenAt    time.Time
}

// CreateSession starts a console session for an active admin and returns its
// id, to be handed to the browser only; it is not stored.
func (r *Registry) CreateSession(ctx context.Context, admin Admin, t SessionTimeouts) (string, error) {
	if err := t.check(); err != nil {
		return "", err
	}
	if !validID(admin.ID, adminIDPrefix) || admin.Status != AdminActive {
		return "", &Error{Kind: ErrForbidden, Reason: "only an active admin may sign in"}
	}
	id, err := generateSecret(SessionIDPrefix)
	if err != nil {
		return "", err
	}
	now := strconv.FormatInt(r.now().UnixMilli(), 10)
	key := r.sessionKey(id)
	pipe := r.client.TxPipeline()
	pipe.HSet(ctx, key, "admin", admin.ID, "created_at", now, "seen_at", now)
	pipe.PExpire(ctx, key, t.Idle)
	if _, err := pipe.Exec(ctx); err != nil {
		err = classify(err, "create session")
		r.logFailure("create session", err)
		return "", err
	}
	return id, nil
}

// Session returns the session with this id and its admin as they are now,
// recording the visit (the idle timeout starts again). An unknown, expired or
// signed-out session, or one of a disabled admin, is ErrSessionEnded (and is
// deleted); an outage is ErrUnavailable.
func (r *Registry) Session(ctx context.Context, id string, t SessionTimeouts) (Session, error) {
	if err := t.check(); err != nil {
		return Session{}, err
	}
	if !checkSecretFormat([]byte(id), SessionIDPrefix) {
		return Session{}, ErrSessionEnded
	}
	v, err := r.scripts.session.Run(ctx, r.client, []string{r.sessionKey(id)},
		r.prefix, r.now().UnixMilli(), t.Idle.Milliseconds(), t.Absolute.Milliseconds()).Result()
	if err != nil {
		err = classify(err, "read session")
		r.logFailure("read session", err)
		return Session{}, err
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return Session{}, errors.New("registry: unexpected session reply")
	}
	if verdict, _ := arr[0].(string); verdict != "ok" || len(arr) != 3 {
		return Session{}, ErrSessionEnded
	}
	sf, err := toFields(arr[1])
	if err != nil {
		return Session{}, err
	}
	af, err := toFields(arr[2])
	if err != nil {
		return Session{}, err
	}
	return Session{Admin: parseAdmin(af), CreatedAt: sf.time("created_at"), SeenAt: sf.time("seen_at")}, nil
}

// EndSession signs a session out; ending an unknown session is not an error.
func (r *Registry) EndSession(ctx context.Context, id string) error {
	if !checkSecretFormat([]byte(id), SessionIDPrefix) {
		return nil
	}
	if err := r.client.Del(ctx, r.sessionKey(id)).Err(); err != nil {
		err = classify(err, "end session")
		r.logFailure("end session", err)
		return err
	}
	return nil
}

func (r *Registry) sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return r.key("session:" + hex.EncodeToString(sum[:]))
}

func (t SessionTimeouts) check() error {
	if t.Idle < time.Second || t.Absolute < t.Idle {
		return invalidf("session timeouts: idle %v must be at least 1s and absolute %v at least the idle timeout", t.Idle, t.Absolute)
	}
	return nil
}
