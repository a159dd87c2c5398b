package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header is the name of the signature header.
const Header = "X-Ledger-Signature"

// DefaultMaxAge is the upstream's replay window.
const DefaultMaxAge = 5 * time.Minute

var (
	// ErrMalformed: the header is not "t=<unix>,v1=<hex>".
	ErrMalformed = errors.New("signature: malformed header")
	// ErrStale: the timestamp is outside the accepted window.
	ErrStale = errors.New("signature: timestamp outside the accepted window")
	// ErrMismatch: no v1 signature matches the body and secret.
	ErrMismatch = errors.New("signature: mismatch")
)

// Sign returns the header value for body signed with secret at time t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// Verify checks header against body and secret, and that its timestamp is
// within maxAge of now (either side, to tolerate clock skew). Several v1
// values are allowed (secret rotation); one must match. It returns the
// signed timestamp, so callers can reject replays within the window.
func Verify(secret []byte, header string, body []byte, now time.Time, maxAge time.Duration) (time.Time, error) {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return time.Time{}, ErrMalformed
		}
		switch k {
		case "t":
			if ts != "" {
				return time.Time{}, ErrMalformed // two timestamps: ambiguous
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return time.Time{}, ErrMalformed
			}
			sigs = append(sigs, sig)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return time.Time{}, ErrMalformed
	}
	signed := time.Unix(sec, 0)
	if d := now.Sub(signed); d > maxAge || d < -maxAge {
		return signed, ErrStale
	}
	want := mac(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return signed, nil
		}
	}
	return signed, ErrMismatch
}

// ReplayKey identifies what a verified header vouched for: the signed
// timestamp (as Verify returned it) and the body, as the hex SHA-256 of
// "<unix seconds>.<body>". Replay detection must key on this, not on the
// header's text: Verify accepts one signature written many ways (parts in
// any order, spaces, unknown parts, hex in either case, beside other v1
// values), and each spelling would otherwise pass as a new notification.
// It depends on no v1 value either, so two signatures of the same message
// (under two secrets, during a rotation) are one message too.
func ReplayKey(signed time.Time, body []byte) string {
	h := sha256.New()
	h.Write(strconv.AppendInt(nil, signed.Unix(), 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
