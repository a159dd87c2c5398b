package ledgersim

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// newRand returns a generator seeded by seed and a label, so each
// collection (or each derived object) draws from its own stream: adding
// digests does not change the transactions.
func newRand(seed int64, label string, ids ...int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(label))
	var b [8]byte
	for _, id := range ids {
		binary.LittleEndian.PutUint64(b[:], uint64(id))
		h.Write(b[:])
	}
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

const (
	hexDigits    = "0123456789abcdef"
	base58Digits = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	bech32Digits = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	base32Upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)

func randString(r *rand.Rand, alphabet string, n int) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func randHex(r *rand.Rand, n int) string { return randString(r, hexDigits, n) }

// randAddress returns an address of the coin's family, the right shape if
// not a real one.
func randAddress(r *rand.Rand, family string) string {
	switch family {
	case "bitcoin":
		return "bc1q" + randString(r, bech32Digits, 38)
	case "ethereum", "polygon":
		return "0x" + randHex(r, 40)
	case "solana":
		return randString(r, base58Digits, 44)
	case "cardano":
		return "addr1q" + randString(r, bech32Digits, 52)
	case "tezos":
		return "tz1" + randString(r, base58Digits, 33)
	case "polkadot":
		return "1" + randString(r, base58Digits, 47)
	case "ripple":
		return "r" + randString(r, base58Digits, 33)
	case "stellar":
		return "G" + randString(r, base32Upper, 55)
	}
	return randHex(r, 40)
}

// validAddress reports whether address has the shape randAddress gives the
// family (GET /currencies/{currency_name}/{address}).
func validAddress(family, address string) bool {
	shape := map[string]struct {
		prefix   string
		alphabet string
		n        int
	}{
		"bitcoin":  {"bc1q", bech32Digits, 38},
		"ethereum": {"0x", hexDigits + "ABCDEF", 40},
		"polygon":  {"0x", hexDigits + "ABCDEF", 40},
		"solana":   {"", base58Digits, 44},
		"cardano":  {"addr1q", bech32Digits, 52},
		"tezos":    {"tz1", base58Digits, 33},
		"polkadot": {"1", base58Digits, 47},
		"ripple":   {"r", base58Digits, 33},
		"stellar":  {"G", base32Upper, 55},
	}
	s, ok := shape[family]
	rest, hasPrefix := strings.CutPrefix(address, s.prefix)
	if !ok || !hasPrefix || len(rest) != s.n {
		return false
	}
	for _, c := range rest {
		if !strings.ContainsRune(s.alphabet, c) {
			return false
		}
	}
	return true
}

// randTxHash returns a transaction hash in the family's usual notation.
func randTxHash(r *rand.Rand, family string) string {
	if family == "ethereum" || family == "polygon" {
		return "0x" + randHex(r, 64)
	}
	return randHex(r, 64)
}

// randAmount returns a positive amount in base units below 10^digits.
func randAmount(r *rand.Rand, digits int) string {
	n := 1 + r.IntN(digits)
	s := strconv.Itoa(1 + r.IntN(9))
	return s + randString(r, "0123456789", n-1)
}

// randUUID returns a version 4 UUID drawn from r.
func randUUID(r *rand.Rand) string {
	h := randHex(r, 32)
	return fmt.Sprintf("%s-%s-4%s-a%s-%s", h[:8], h[8:12], h[13:16], h[17:20], h[20:])
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// pickN returns up to n distinct elements of xs, in the order of xs.
func pickN(r *rand.Rand, xs []int, n int) []int {
	if n >= len(xs) {
		return append([]int(nil), xs...)
	}
	perm := r.Perm(len(xs))[:n]
	chosen := make([]bool, len(xs))
	for _, i := range perm {
		chosen[i] = true
	}
	out := make([]int, 0, n)
	for i, x := range xs {
		if chosen[i] {
			out = append(out, x)
		}
	}
	return out
}

// weighted returns an index of weights, chosen with probability
// proportional to its weight.
func weighted(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

func ptr[T any](v T) *T { return &v }

// sortedKeys returns a set's members in ascending order.
func sortedKeys(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
