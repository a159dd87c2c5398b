package policy

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestStopMask holds the eight-byte test to strStop on words built from
// the bytes around its boundaries, so that every borrow case comes up.
func TestStopMask(t *testing.T) {
	t.Parallel()
	edge := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 0x7f, 0x80, 0xa2, 0xdc, 0xff}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var w [8]byte
		for k := range w {
			w[k] = edge[r.IntN(len(edge))]
		}
		want := 8
		for k, c := range w {
			if strStop[c] {
				want = k
				break
			}
		}
		m := stopMask(binary.LittleEndian.Uint64(w[:]))
		got := 8
		if m != 0 {
			got = int(bitsTrailing(m)) >> 3
		}
		if got != want {
			t.Fatalf("stopMask(%q) finds byte %d, want %d", w, got, want)
		}
		if q := quoteMask(binary.LittleEndian.Uint64(w[:])); want < 8 && (q&(m&-m) != 0) != (w[want] == '"') {
			t.Fatalf("quoteMask(%q) disagrees on byte %d", w, want)
		}
	}
}

func bitsTrailing(m uint64) int {
	n := 0
	for m&1 == 0 {
		m >>= 1
		n++
	}
	return n
}

// TestStrEnd holds strEnd to a byte-by-byte reading, on
// strings of every length around the eight- and sixteen-byte steps with a
// stop byte at every place.
func TestStrEnd(t *testing.T) {
	t.Parallel()
	naive := func(b []byte) (int, bool) {
		escaped := false
		for i := 1; i < len(b); i++ {
			switch c := b[i]; {
			case c == '"':
				return i + 1, escaped
			case c == '\\':
				n := escapeLen(b[i+1:])
				if n == 0 {
					return -1, false
				}
				escaped, i = true, i+n
			case c < 0x20:
				return -1, false
			}
		}
		return -1, false
	}
	for n := range 40 {
		for pos := -1; pos < n; pos++ {
			for _, stop := range []string{`"`, `\`, `\n`, `\u0041`, `\u00`, "\x00", "\x1f", "\x7f", "\xff"} {
				content := []byte(strings.Repeat("a", n))
				if pos >= 0 {
					content = append(content[:pos:pos], append([]byte(stop), content[pos:]...)...)
				}
				for _, tail := range []string{`"`, `", "x": 1}`, ``} {
					b := []byte(`"` + string(content) + tail)
					wantEnd, wantEsc := naive(b)
					if end, esc := strEnd(b, 0); end != wantEnd || esc != wantEsc {
						t.Fatalf("strEnd(%q) = %d, %v; want %d, %v", b, end, esc, wantEnd, wantEsc)
					}
				}
			}
		}
	}
}

// TestValidJSON: the scanner's grammar is RFC 8259's, with fastjson's depth
// bound; FuzzScanAgainstParser holds it to fastjson and encoding/json.
func TestValidJSON(t *testing.T) {
	t.Parallel()
	deep := func(n int, inner string) string {
		return strings.Repeat("[", n) + inner + strings.Repeat("]", n)
	}
	tests := []struct {
		body string
		want bool
	}{
		{`{}`, true}, {`[]`, true}, {` {"a" : [ 1 , -0.5e+3 , true , false , null , "x" ] } `, true},
		{`"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"`, true}, {`0`, true}, {`-0`, true}, {`1E5`, true},
		{"\"\xff\xfe\"", true}, // invalid UTF-8: read by every decoder (as U+FFFD)
		{``, false}, {` `, false}, {`{`, false}, {`}`, false}, {`[1,]`, false}, {`[,1]`, false}, {`{"a":1,}`, false},
		{`{"a" 1}`, false}, {`{"a":1 "b":2}`, false}, {`{1:1}`, false}, {`[1 2]`, false}, {`[1]]`, false},
		{`{"a":1}}`, false}, {`{"a":1}{}`, false}, {`01`, false}, {`1.`, false}, {`.5`, false}, {`1e`, false},
		{`-`, false}, {`+1`, false}, {`NaN`, false}, {`Infinity`, false}, {`tru`, false}, {`nulll`, false},
		{`"\x"`, false}, {`"\u12"`, false}, {`"\u12G4"`, false}, {"\"\x00\\b\"", false}, {"\"a\tb\"", false},
		{`"abc`, false}, {`'a'`, false}, {"[1]\x00", false}, {"\ufeff[]", false},
		{deep(maxDepth, ""), true}, {deep(maxDepth+1, ""), false},
		{deep(maxDepth-1, "1"), true}, {deep(maxDepth, "1"), false},
	}
	for _, tt := range tests {
		if got := validJSON([]byte(tt.body)); got != tt.want {
			t.Errorf("validJSON(%.40q) = %v, want %v", tt.body, got, tt.want)
		}
		if tt.want && !json.Valid([]byte(tt.body)) && len(tt.body) < 1000 {
			t.Errorf("encoding/json refuses %.40q: the table is wrong", tt.body)
		}
	}
}

// TestJSONInt: ids are read as fastjson's Int64 reads them.
func TestJSONInt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw   string
		want  int64
		isInt bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"10", 10, true}, {"-10", -10, true},
		{"9223372036854775807", 9223372036854775807, true}, {"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false}, {"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false}, {"10.0", 0, false}, {"1e1", 0, false}, {`"10"`, 0, false},
		{"null", 0, false}, {"{}", 0, false},
	}
	for _, tt := range tests {
		if got, isInt := jsonInt([]byte(tt.raw)); got != tt.want || isInt != tt.isInt {
			t.Errorf("jsonInt(%s) = %d, %v; want %d, %v", tt.raw, got, isInt, tt.want, tt.isInt)
		}
	}
}

func TestUnescapeName(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, want string }{
		{`\u0069d`, "id"}, {`\u0069\u0064`, "id"}, {`i\u0044`, "iD"}, {`a\/b`, "a/b"}, {`a\"b`, `a"b`},
		{`\u00e9`, "é"}, {`\u017f`, longS}, {`\u212A`, kelvin}, {`\u00c5\u00bf`, "Å¿"}, {"\xc5\\u00bf", "\xc5¿"},
		{`\ud800`, `\`}, {`\ud83d\ude00`, `\`}, {strings.Repeat(`\u0061`, maxNameLen), strings.Repeat("a", maxNameLen)},
		{strings.Repeat(`\u0061`, maxNameLen+1), `\`}, {"\xffid", "\xffid"},
		{strings.Repeat("a", maxNameLen-2) + `\u017f`, strings.Repeat("a", maxNameLen-2) + longS},
		{strings.Repeat("a", maxNameLen-1) + `\u017f`, `\`}, {strings.Repeat("a", maxNameLen-2) + `\u212a`, `\`},
	}
	for _, tt := range tests {
		var buf [maxNameLen]byte
		if got := unescapeName([]byte(tt.raw), &buf); string(got) != tt.want {
			t.Errorf("unescapeName(%s) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// TestCheckedNamesFit: the scan compares names unescaped only up to
// maxNameLen, the checked names in ASCII; every name the table checks, and
// every variant of one (scan_fold.go), must fit.
func TestCheckedNamesFit(t *testing.T) {
	t.Parallel()
	names := []string{"edges", "node", "page_info", "count", "target_id", "target_type"}
	for _, r := range Table() {
		names = append(names, r.Verify.Field, r.Verify.Parent, r.Verify.Wrap)
	}
	for _, n := range names {
		if k := keyOf(n); k.lens>>(maxNameLen+1) != 0 || bytes.ContainsAny([]byte(n), `\"`) || strings.IndexFunc(n, func(r rune) bool { return r >= 0x80 || r < 0x20 }) >= 0 {
			t.Errorf("checked name %q does not fit the scan", n)
		}
	}
}

// TestVerifyScanAllocatesNothing pins the scanned shapes at zero
// allocations, in scope and out (a violation allocates its error only).
func TestVerifyScanAllocatesNothing(t *testing.T) {
	owners, err := NewOwners(nil, 16)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(nil, owners)
	s := NewScope([]int64{1}, []int64{10, 11}, []int64{100}, []int64{7}, []int64{50}, time.Now())
	bodies := benchBodies(4 << 10)
	for _, c := range benchChecks {
		body := bodies[c.body]
		var err error
		allocs := testing.AllocsPerRun(100, func() { err = v.Verify(context.Background(), body, c.check, s, 10) })
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if allocs != 0 {
			t.Errorf("%s: %v allocations per Verify, want 0", c.name, allocs)
		}
		malformed := body[:len(body)-1]
		if allocs := testing.AllocsPerRun(100, func() { err = v.Verify(context.Background(), malformed, c.check, s, 10) }); allocs != 0 || err != ErrMalformedBody {
			t.Errorf("%s, truncated: %v allocations, %v; want 0, ErrMalformedBody", c.name, allocs, err)
		}
	}
}
