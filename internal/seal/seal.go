package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

var (
	// ErrBadKey: a key is not "<id>:<base64 of 32 bytes>", or two keys of a
	// keyring share an id.
	ErrBadKey = errors.New("seal: bad key")
	// ErrMalformed: a value is not "rgs1.<key id>.<base64url>".
	ErrMalformed = errors.New("seal: malformed sealed value")
	// ErrUnknownKey: the value was sealed under a key the keyring does not
	// hold (a key dropped too early, or another gateway's).
	ErrUnknownKey = errors.New("seal: sealed under an unknown key")
	// ErrOpen: the key id matches but the value does not open: another key
	// under that id, a value altered, or one moved from another record.
	ErrOpen = errors.New("seal: cannot open")
)

// KeyLen is the length of a key's secret part: AES-256.
const KeyLen = 32

const prefix = "rgs1."

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Key is one sealing key. The zero value is not usable; see ParseKey.
type Key struct {
	id   string
	aead cipher.AEAD
}

// ID names the key in the values it seals.
func (k Key) ID() string { return k.id }

// ParseKey reads "<id>:<base64 of 32 bytes>" (standard or URL base64,
// padded or not). The id is 1 to 32 letters, digits, '_' or '-'. Errors
// never quote the key.
func ParseKey(s string) (Key, error) {
	id, b64, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || !idPattern.MatchString(id) {
		return Key{}, fmt.Errorf("%w: want <id>:<base64 of %d bytes>, the id of 1 to 32 letters, digits, '_' or '-'", ErrBadKey, KeyLen)
	}
	raw, err := decodeBase64(b64)
	if err != nil || len(raw) != KeyLen {
		return Key{}, fmt.Errorf("%w: key %q: the part after ':' must be %d random bytes in base64 (e.g. head -c 32 /dev/urandom | base64)", ErrBadKey, id, KeyLen)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return Key{}, fmt.Errorf("%w: key %q: %w", ErrBadKey, id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, fmt.Errorf("%w: key %q: %w", ErrBadKey, id, err)
	}
	return Key{id: id, aead: aead}, nil
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// Generate returns a new random key in ParseKey's form, for id.
func Generate(id string) (string, error) {
	if !idPattern.MatchString(id) {
		return "", fmt.Errorf("%w: id %q: 1 to 32 letters, digits, '_' or '-'", ErrBadKey, id)
	}
	raw := make([]byte, KeyLen)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("seal: generate: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(raw), nil
}

// Keyring seals under its current key and opens under any of its keys. It
// is safe for concurrent use and immutable.
type Keyring struct {
	current Key
	byID    map[string]Key
}

// NewKeyring returns a keyring sealing with current and opening with
// current and previous. Key ids must be distinct.
func NewKeyring(current Key, previous ...Key) (*Keyring, error) {
	r := &Keyring{current: current, byID: map[string]Key{}}
	for _, k := range append([]Key{current}, previous...) {
		if k.aead == nil {
			return nil, fmt.Errorf("%w: a key was not parsed", ErrBadKey)
		}
		if _, dup := r.byID[k.id]; dup {
			return nil, fmt.Errorf("%w: two keys with id %q: give each key its own id", ErrBadKey, k.id)
		}
		r.byID[k.id] = k
	}
	return r, nil
}

// CurrentID is the id of the key that seals.
func (r *Keyring) CurrentID() string { return r.current.id }

// Seal encrypts plaintext under the current key, bound to ad (associated
// data: where the value is stored). A fresh random nonce each time: the
// same plaintext never seals to the same value.
func (r *Keyring) Seal(plaintext, ad []byte) (string, error) {
	a := r.current.aead
	buf := make([]byte, a.NonceSize(), a.NonceSize()+len(plaintext)+a.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	buf = a.Seal(buf, buf, plaintext, ad)
	return prefix + r.current.id + "." + base64.RawURLEncoding.EncodeToString(buf), nil
}

// Open decrypts a value Seal returned, under the key it names, checking ad.
func (r *Keyring) Open(sealed string, ad []byte) ([]byte, error) {
	id, data, err := split(sealed)
	if err != nil {
		return nil, err
	}
	k, ok := r.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	n := k.aead.NonceSize()
	if len(data) < n+k.aead.Overhead() {
		return nil, ErrMalformed
	}
	plain, err := k.aead.Open(nil, data[:n], data[n:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: under key %q", ErrOpen, id)
	}
	return plain, nil
}

// KeyID returns the id of the key a value was sealed under.
func KeyID(sealed string) (string, error) {
	id, _, err := split(sealed)
	return id, err
}

func split(sealed string) (string, []byte, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", nil, ErrMalformed
	}
	id, b64, ok := strings.Cut(rest, ".")
	if !ok || !idPattern.MatchString(id) {
		return "", nil, ErrMalformed
	}
	data, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return "", nil, ErrMalformed
	}
	return id, data, nil
}
