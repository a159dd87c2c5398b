package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignMatchesSpecFormula(t *testing.T) {
	t.Parallel()
	// The spec's sample computes hex(HMAC-SHA256(secret, "<t>.<body>")).
	secret, body := []byte("whsec"), []byte(`{"payload_type":"TRANSACTION","event_type":"NEW_TRANSACTION_HAS_BEEN_RECEIVED","id":7}`)
	at := time.Unix(1764000000, 0)
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("1764000000." + string(body)))
	want := "t=1764000000,v1=" + hex.EncodeToString(h.Sum(nil))
	if got := Sign(secret, at, body); got != want {
		t.Fatalf("Sign() = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret, body := []byte("s"), []byte(`{"id":1}`)
	at := time.Unix(1764000000, 0)
	good := Sign(secret, at, body)
	other := Sign([]byte("other"), at, body)
	tests := []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", good, body, at.Add(time.Minute), nil},
		{"rotated secrets, second matches", other + "," + good[len("t=1764000000,"):], body, at, nil},
		{"body changed", good, []byte(`{"id":2}`), at, ErrMismatch},
		{"wrong secret", other, body, at, ErrMismatch},
		{"too old", good, body, at.Add(6 * time.Minute), ErrStale},
		{"from the future", good, body, at.Add(-6 * time.Minute), ErrStale},
		{"empty", "", body, at, ErrMalformed},
		{"no v1", "t=1764000000", body, at, ErrMalformed},
		{"two timestamps", "t=1,t=1764000000," + good[len("t=1764000000,"):], body, at, ErrMalformed},
		{"short signature", "t=1764000000,v1=abcd", body, at, ErrMalformed},
		{"not hex", "t=1764000000,v1=zz", body, at, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Verify(secret, tt.header, tt.body, tt.now, DefaultMaxAge)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify() = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestReplayKeyIgnoresSpelling: every spelling Verify accepts of one
// signature yields one replay key; another body or second another.
func TestReplayKeyIgnoresSpelling(t *testing.T) {
	t.Parallel()
	secret, body := []byte("s"), []byte(`{"id":1}`)
	at := time.Unix(1764000000, 0)
	good := Sign(secret, at, body)
	ts, v1 := good[:len("t=1764000000")], good[len("t=1764000000,"):]
	other := Sign([]byte("other"), at, body)[len("t=1764000000,"):]
	want := ReplayKey(at, body)
	for _, h := range []string{good, v1 + "," + ts, " " + ts + " , " + v1 + " ", good + ",v0=ab", "x=y," + good,
		ts + ",v1=" + strings.ToUpper(v1[3:]), ts + "," + other + "," + v1, good + "," + other, good + "," + v1} {
		signed, err := Verify(secret, h, body, at, DefaultMaxAge)
		if err != nil {
			t.Fatalf("Verify(%q) = %v", h, err)
		}
		if got := ReplayKey(signed, body); got != want {
			t.Errorf("ReplayKey for %q = %s, want %s", h, got, want)
		}
	}
	if ReplayKey(at, []byte(`{"id":2}`)) == want || ReplayKey(at.Add(time.Second), body) == want {
		t.Error("another body or another second has the same replay key")
	}
	if ReplayKey(at.Add(500*time.Millisecond), body) != want {
		t.Error("the key depends on sub-second time, which the header does not carry")
	}
}
