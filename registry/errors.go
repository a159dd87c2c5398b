package registry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Sentinel errors. Every error the registry returns matches exactly one of
// them with errors.Is; most carry a precise message beside (see Error).
var (
	// ErrNotFound: no such key, request, admin or token. Never returned for
	// an outage.
	ErrNotFound = errors.New("registry: not found")
	// ErrUnavailable: Redis could not be reached or did not answer. It wraps
	// the underlying error. Callers must fail closed on it.
	ErrUnavailable = errors.New("registry: redis unavailable")
	// ErrForbidden: the admin may not do this (approving or rejecting their
	// own request, revealing another admin's key, aborting someone else's
	// request, acting while disabled).
	ErrForbidden = errors.New("registry: forbidden")
	// ErrConflict: the operation does not fit the current state (a second
	// pending request on a key, a vote on a closed request, unsuspending
	// during a revocation, suspending a key that is not ACTIVE, …).
	ErrConflict = errors.New("registry: conflict")
	// ErrGone: the key's secret was already revealed; it is never shown again.
	ErrGone = errors.New("registry: gone")
	// ErrQuorumUnreachable: fewer active admins than the quorum could
	// approve the request (the requester never counts).
	ErrQuorumUnreachable = errors.New("registry: quorum unreachable")
	// ErrInvalid: bad input; the message names the field and the rule.
	ErrInvalid = errors.New("registry: invalid input")
)

// Error is a sentinel with the precise reason. Its message reads
// "registry: conflict: key key_… already has pending request req_…".
type Error struct {
	Kind   error // one of the sentinels
	Reason string
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Reason }

// Unwrap lets errors.Is match the sentinel.
func (e *Error) Unwrap() error { return e.Kind }

func invalidf(format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Reason: fmt.Sprintf(format, args...)}
}

func notFoundf(format string, args ...any) error {
	return &Error{Kind: ErrNotFound, Reason: fmt.Sprintf(format, args...)}
}

// scriptCode maps the codes our Lua scripts raise to sentinels.
func scriptCode(code string) error {
	switch code {
	case "RGNOTFOUND":
		return ErrNotFound
	case "RGFORBIDDEN":
		return ErrForbidden
	case "RGCONFLICT":
		return ErrConflict
	case "RGGONE":
		return ErrGone
	case "RGQUORUM":
		return ErrQuorumUnreachable
	case "RGINVALID":
		return ErrInvalid
	}
	return nil
}

// classify turns a go-redis error into a registry error. A reply from our own
// scripts maps to its sentinel; redis.Nil is "not found"; anything else (a
// refused connection, a timeout, LOADING, READONLY, a cancelled context) is
// ErrUnavailable wrapping the cause, so an outage can never read as "not
// found".
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, redis.Nil) {
		return notFoundf("%s", what)
	}
	var re redis.Error
	if errors.As(err, &re) {
		code, reason, _ := strings.Cut(re.Error(), " ")
		if kind := scriptCode(code); kind != nil {
			return &Error{Kind: kind, Reason: reason}
		}
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

func isUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }
