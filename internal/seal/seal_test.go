package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustKey(t *testing.T, id string) Key {
	t.Helper()
	s, err := Generate(id)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRing(t *testing.T, current Key, previous ...Key) *Keyring {
	t.Helper()
	r, err := NewKeyring(current, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	r := mustRing(t, mustKey(t, "k1"))
	secret, ad := []byte("partner-secret-0123456789"), []byte("webhook\x00acme\x00key_1")
	a, err := r.Seal(secret, ad)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r.Seal(secret, ad)
	if a == b {
		t.Error("two seals of one plaintext are equal: the nonce is not fresh")
	}
	if !strings.HasPrefix(a, "rgs1.k1.") || strings.Contains(a, string(secret)) {
		t.Errorf("sealed %q: want rgs1.k1.<opaque>", a)
	}
	if id, err := KeyID(a); err != nil || id != "k1" {
		t.Errorf("KeyID = %q, %v", id, err)
	}
	got, err := r.Open(a, ad)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := r.Open(a, []byte("webhook\x00acme\x00key_2")); !errors.Is(err, ErrOpen) {
		t.Errorf("opened with another record's associated data: %v", err)
	}
	tampered := a[:len(a)-2] + flip(a[len(a)-2:])
	if _, err := r.Open(tampered, ad); !errors.Is(err, ErrOpen) && !errors.Is(err, ErrMalformed) {
		t.Errorf("opened a tampered value: %v", err)
	}
}

func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// TestWrongKeyCannotOpen: another key, even under the same id, opens
// nothing; a key the ring lacks is named as unknown.
func TestWrongKeyCannotOpen(t *testing.T) {
	t.Parallel()
	sealed, err := mustRing(t, mustKey(t, "k1")).Seal([]byte("s3cret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mustRing(t, mustKey(t, "k1")).Open(sealed, nil); !errors.Is(err, ErrOpen) {
		t.Errorf("another key with the same id: %v, want ErrOpen", err)
	}
	if _, err := mustRing(t, mustKey(t, "k2")).Open(sealed, nil); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("a ring without k1: %v, want ErrUnknownKey", err)
	}
}

// TestRotation: a ring whose current key is new and whose previous key is
// the old one opens both, seals under the new one; once the old key is
// dropped, values re-sealed still open and old ones do not.
func TestRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := mustKey(t, "k1"), mustKey(t, "k2")
	old, _ := mustRing(t, k1).Seal([]byte("a"), nil)
	mid := mustRing(t, k2, k1)
	if mid.CurrentID() != "k2" {
		t.Fatalf("CurrentID = %s", mid.CurrentID())
	}
	plain, err := mid.Open(old, nil)
	if err != nil || string(plain) != "a" {
		t.Fatalf("previous key: %q, %v", plain, err)
	}
	resealed, _ := mid.Seal(plain, nil)
	if id, _ := KeyID(resealed); id != "k2" {
		t.Fatalf("re-sealed under %s, want k2", id)
	}
	after := mustRing(t, k2)
	if p, err := after.Open(resealed, nil); err != nil || string(p) != "a" {
		t.Errorf("re-sealed value after k1 was dropped: %q, %v", p, err)
	}
	if _, err := after.Open(old, nil); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("k1's value after k1 was dropped: %v, want ErrUnknownKey", err)
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	good, _ := Generate("2026-01")
	_, b64, _ := strings.Cut(good, ":")
	for _, s := range []string{good, " " + good + "\n", "k:" + strings.TrimRight(b64, "="),
		"k:" + strings.NewReplacer("+", "-", "/", "_").Replace(b64)} {
		if _, err := ParseKey(s); err != nil {
			t.Errorf("ParseKey(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", b64, ":" + b64, "bad id:" + b64, strings.Repeat("a", 33) + ":" + b64,
		"k:" + b64[:20], "k:" + b64 + b64, "k:not base64!"} {
		_, err := ParseKey(s)
		if !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseKey(%q) = %v, want ErrBadKey", s, err)
		}
		if err != nil && len(b64) > 8 && strings.Contains(err.Error(), b64[:8]) {
			t.Errorf("ParseKey error quotes the key: %v", err)
		}
	}
	k := mustKey(t, "k")
	if _, err := NewKeyring(k, mustKey(t, "k")); !errors.Is(err, ErrBadKey) {
		t.Errorf("two keys with one id: %v", err)
	}
	if _, err := NewKeyring(Key{}); !errors.Is(err, ErrBadKey) {
		t.Errorf("zero key: %v", err)
	}
}

func TestOpenMalformed(t *testing.T) {
	t.Parallel()
	r := mustRing(t, mustKey(t, "k1"))
	for _, v := range []string{"", "secret in clear", "rgs1.", "rgs1.k1", "rgs1.k1.***", "rgs1.k1.AAAA", "rgs2.k1.AAAA", "rgs1.bad id.AAAA"} {
		if _, err := r.Open(v, nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("Open(%q) = %v, want ErrMalformed", v, err)
		}
	}
}
