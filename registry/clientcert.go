package registry

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// CertFingerprint is the SHA-256 of a client certificate's DER bytes: a key
// bound to it authenticates only over a TLS connection whose client
// presented that certificate. The zero value binds nothing (no certificate
// hashes to it).
type CertFingerprint [32]byte

// IsZero reports whether f binds nothing.
func (f CertFingerprint) IsZero() bool { return f == CertFingerprint{} }

// String is the lower-case hex form, as stored; "" for the zero value.
func (f CertFingerprint) String() string {
	if f.IsZero() {
		return ""
	}
	return hex.EncodeToString(f[:])
}

// ParseCertFingerprint reads a fingerprint as 64 hex digits, or as the 32
// colon-separated pairs `openssl x509 -fingerprint -sha256` prints, in
// either case. Anything else is refused, the all-zero value included.
func ParseCertFingerprint(s string) (CertFingerprint, error) {
	var f CertFingerprint
	h := s
	if strings.Contains(s, ":") {
		pairs := strings.Split(s, ":")
		if len(pairs) != len(f) {
			return f, invalidf("client certificate fingerprint %.100q: give its SHA-256 as 64 hex digits or 32 colon-separated pairs", s)
		}
		for _, p := range pairs {
			if len(p) != 2 {
				return f, invalidf("client certificate fingerprint %.100q: give its SHA-256 as 64 hex digits or 32 colon-separated pairs", s)
			}
		}
		h = strings.Join(pairs, "")
	}
	if len(h) != 2*len(f) {
		return f, invalidf("client certificate fingerprint %.100q: give its SHA-256 as 64 hex digits or 32 colon-separated pairs", s)
	}
	if _, err := hex.Decode(f[:], []byte(h)); err != nil {
		return CertFingerprint{}, invalidf("client certificate fingerprint %.100q: not hexadecimal", s)
	}
	if f.IsZero() {
		return f, invalidf("client certificate fingerprint: all zero is no certificate's")
	}
	return f, nil
}

// parseStoredFingerprint reads a key record's client_cert field; "" is
// not bound.
func parseStoredFingerprint(id, s string) (CertFingerprint, error) {
	if s == "" {
		return CertFingerprint{}, nil
	}
	f, err := ParseCertFingerprint(s)
	if err != nil || f.String() != s {
		return CertFingerprint{}, fmt.Errorf("registry: key %q: stored client certificate fingerprint %.100q is not canonical", id, s)
	}
	return f, nil
}

// NoClientCert is how a request's diff shows a key bound to no client
// certificate (KeyState.ClientCert).
const NoClientCert = "none"

// NewKey is what a creation request files.
type NewKey struct {
	Name     string
	Entities []int64
	// ClientCert binds the key to a client certificate; the zero value
	// binds none.
	ClientCert CertFingerprint
}
