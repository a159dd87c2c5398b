package registry

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"hash/crc32"
)

// Secret format, shared by reporting keys and admin tokens:
//
//	<prefix> <43 base62 characters of randomness> <6 base62 characters of checksum>
//
// 43 base62 characters carry 43·log2(62) ≈ 256.03 bits. The checksum is the
// CRC-32 (IEEE) of everything before it, written as a fixed-width base62
// number, so a typo or a truncated paste is refused offline, and secret
// scanners can recognise a real key without false positives.
const (
	// KeyPrefix starts every reporting API key.
	KeyPrefix = "lrk_"
	// AdminTokenPrefix starts every admin bearer token.
	AdminTokenPrefix = "lra_"
	// KeyLen is the length of a reporting key (and of an admin token).
	KeyLen = len(KeyPrefix) + randomLen + checksumLen
	// DisplayPrefixLen is how much of a key is stored and shown to tell keys
	// apart: the prefix and 8 random characters (about 48 of 256 bits).
	DisplayPrefixLen = 12

	randomLen   = 43
	checksumLen = 6
	base62      = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// GenerateKey returns a new reporting API key. Only its SHA-256 (KeyHash) may
// be stored.
func GenerateKey() (string, error) { return generateSecret(KeyPrefix) }

// CheckKeyFormat reports whether b has the shape of a reporting key: prefix,
// length, alphabet and checksum. It runs on every partner request before any
// lookup, so garbage never reaches Redis; it does not allocate.
func CheckKeyFormat(b []byte) bool { return checkSecretFormat(b, KeyPrefix) }

// KeyHash is the SHA-256 of a key: the only form in which keys are stored.
func KeyHash(b []byte) [32]byte { return sha256.Sum256(b) }

func generateAdminToken() (string, error) { return generateSecret(AdminTokenPrefix) }

func checkAdminTokenFormat(b []byte) bool { return checkSecretFormat(b, AdminTokenPrefix) }

func generateSecret(prefix string) (string, error) {
	random, err := randomBase62(randomLen)
	if err != nil {
		return "", err
	}
	b := make([]byte, 0, len(prefix)+randomLen+checksumLen)
	b = append(b, prefix...)
	b = append(b, random...)
	return string(appendChecksum(b)), nil
}

// randomBase62 draws n uniformly distributed base62 characters from
// crypto/rand. Bytes ≥ 248 (= 4·62) are rejected: keeping them would make the
// first 8 characters of the alphabet more likely than the others.
func randomBase62(n int) ([]byte, error) {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		if _, err := rand.Read(buf[:]); err != nil {
			return nil, fmt.Errorf("registry: read randomness: %w", err)
		}
		for _, v := range buf {
			if v < 248 && len(out) < n {
				out = append(out, base62[v%62])
			}
		}
	}
	return out, nil
}

func appendChecksum(b []byte) []byte {
	sum := uint64(crc32.ChecksumIEEE(b))
	var digits [checksumLen]byte
	for i := checksumLen - 1; i >= 0; i-- {
		digits[i] = base62[sum%62]
		sum /= 62
	}
	return append(b, digits[:]...)
}

func checkSecretFormat(b []byte, prefix string) bool {
	body := len(prefix) + randomLen
	if len(b) != body+checksumLen || string(b[:len(prefix)]) != prefix {
		return false
	}
	for _, c := range b[len(prefix):body] {
		if _, ok := base62Value(c); !ok {
			return false
		}
	}
	var sum uint64
	for _, c := range b[body:] {
		v, ok := base62Value(c)
		if !ok {
			return false
		}
		sum = sum*62 + uint64(v)
	}
	return sum == uint64(crc32.ChecksumIEEE(b[:body]))
}

func base62Value(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'Z':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'z':
		return c - 'a' + 36, true
	}
	return 0, false
}
