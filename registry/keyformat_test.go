package registry

import (
	"bytes"
	"hash/crc32"
	"strings"
	"testing"
)

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	counts := map[byte]int{}
	for i := 0; i < 2000; i++ {
		k, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if len(k) != KeyLen || !strings.HasPrefix(k, KeyPrefix) || !CheckKeyFormat([]byte(k)) {
			t.Fatalf("GenerateKey() = %q: bad shape", k)
		}
		if seen[k] {
			t.Fatalf("GenerateKey() repeated %q", k)
		}
		seen[k] = true
		for _, c := range []byte(k[len(KeyPrefix) : len(KeyPrefix)+randomLen]) {
			counts[c]++
		}
	}
	// 86000 draws over 62 characters: about 1387 each. A modulo bias (no
	// rejection) would give the first 8 characters ~1.25× the others.
	for c, n := range counts {
		if n < 1150 || n > 1650 {
			t.Errorf("character %q drawn %d times, want about 1387", c, n)
		}
	}
	if len(counts) != 62 {
		t.Errorf("%d distinct characters drawn, want 62", len(counts))
	}
}

func TestCheckKeyFormat(t *testing.T) {
	t.Parallel()
	good, _ := GenerateKey()
	token, _ := generateAdminToken()
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	body := good[:len(good)-checksumLen]
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"generated key", good, true},
		{"empty", "", false},
		{"prefix only", KeyPrefix, false},
		{"one character short", good[:KeyLen-1], false},
		{"one character long", good + "a", false},
		{"wrong prefix", "lrx_" + good[4:], false},
		{"upper-case prefix", "LRK_" + good[4:], false},
		{"admin token", token, false},
		{"random character changed", flip(good, 10), false},
		{"checksum character changed", flip(good, KeyLen-1), false},
		{"character outside base62", good[:20] + "-" + good[21:], false},
		{"non-ASCII byte", good[:20] + "\xff" + good[21:], false},
		{"checksum of another body", body + "000000", false},
		{"recomputed checksum", string(appendChecksum([]byte(body))), true},
		{"whitespace around", " " + good[:KeyLen-1], false},
	}
	for _, tt := range tests {
		if got := CheckKeyFormat([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: CheckKeyFormat(%q) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
	if !checkAdminTokenFormat([]byte(token)) || checkAdminTokenFormat([]byte(good)) {
		t.Error("admin token format check confuses tokens and keys")
	}
}

func TestKeyHash(t *testing.T) {
	t.Parallel()
	a, b := KeyHash([]byte("lrk_a")), KeyHash([]byte("lrk_b"))
	if a == b || a == [32]byte{} {
		t.Fatalf("KeyHash: %x, %x", a, b)
	}
}

// FuzzCheckKeyFormat checks that the format check never panics and accepts
// exactly the strings that have the prefix, the length, the alphabet and a
// matching checksum.
func FuzzCheckKeyFormat(f *testing.F) {
	good, _ := GenerateKey()
	f.Add([]byte(good))
	f.Add([]byte(""))
	f.Add([]byte(KeyPrefix))
	f.Add([]byte(good[:KeyLen-1] + "0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := CheckKeyFormat(b)
		want := len(b) == KeyLen && bytes.HasPrefix(b, []byte(KeyPrefix)) && allBase62(b[len(KeyPrefix):]) &&
			checksumText(b[:KeyLen-checksumLen]) == string(b[KeyLen-checksumLen:])
		if got != want {
			t.Fatalf("CheckKeyFormat(%q) = %v, want %v", b, got, want)
		}
	})
}

func allBase62(b []byte) bool {
	for _, c := range b {
		if !strings.ContainsRune(base62, rune(c)) {
			return false
		}
	}
	return true
}

// checksumText is an independent encoding of the checksum for the fuzz oracle.
func checksumText(body []byte) string {
	sum := crc32.ChecksumIEEE(body)
	out := make([]byte, checksumLen)
	for i := checksumLen - 1; i >= 0; i-- {
		out[i] = base62[sum%62]
		sum /= 62
	}
	return string(out)
}
