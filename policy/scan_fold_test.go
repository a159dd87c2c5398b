package policy

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestOnlyTwoRunesFoldToASCII: foldEqual knows two runes beyond ASCII that
// fold to an ASCII letter; Unicode's simple folding (unicode.SimpleFold,
// which encoding/json and strings.EqualFold follow) must know no other.
func TestOnlyTwoRunesFoldToASCII(t *testing.T) {
	t.Parallel()
	want := map[rune]bool{[]rune(longS)[0]: true, []rune(kelvin)[0]: true}
	got := map[rune]bool{}
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < utf8.RuneSelf {
				got[r] = true
			}
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("runes beyond ASCII that fold to it: %q, foldEqual knows %q", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
}

func TestKeyOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		short, longer int // the lengths its variants may have
	}{{"id", 2, 2}, {"edges", 5, 6}, {"users", 5, 7}, {"key_id", 6, 8}, {"page_info", 9, 9}, {"", 0, 0}}
	for _, tt := range tests {
		if got, want := keyOf(tt.name).lens, uint64(1<<(tt.longer+1)-1<<tt.short); got != want {
			t.Errorf("keyOf(%q).lens = %b, want %b", tt.name, got, want)
		}
	}
}

// TestFoldEqual holds foldEqual to strings.EqualFold and to encoding/json,
// which reads a member into the field tagged with a name when foldEqual
// says it is a variant of it, and only then.
func TestFoldEqual(t *testing.T) {
	t.Parallel()
	for _, a := range []string{"id", "edges", "key_id", "target_type", "users"} {
		k := keyOf(a)
		for _, name := range foldCandidates(a) {
			got := foldEqual([]byte(name), a)
			if want := strings.EqualFold(name, a); got != want {
				t.Errorf("foldEqual(%q, %q) = %v, strings.EqualFold says %v", name, a, got, want)
			}
			if got && (len(name) >= 64 || k.lens>>len(name)&1 == 0) {
				t.Errorf("keyOf(%q).lens = %b leaves out %q, a variant", a, k.lens, name)
			}
			var buf [maxNameLen]byte
			if found, ok := variantOf([]byte(name), &k, &k, &buf); name != a && (ok != got || ok && string(found) != a) {
				t.Errorf("variantOf(%q, %q) = %q, %v; foldEqual says %v", name, a, found, ok, got)
			}
			if utf8.ValidString(name) && decodedAs(t, name, a) != got {
				t.Errorf("encoding/json reads %q as %q: %v; foldEqual says %v", name, a, !got, got)
			}
		}
	}
}

// foldCandidates returns names that are a, variants of it and near misses:
// each letter in the other case, as long s or Kelvin sign, or replaced by
// a rune that looks or folds alike but does not fold to it.
func foldCandidates(a string) []string {
	subs := []string{longS, kelvin, "\u0131", "\u0130", "\u00df", "\xc5", "\xc5\xbe", "\xc1\xb3", "\xe2\x84", "\uff2b", "s", "S", "k", "K", ""}
	names := []string{a, strings.ToUpper(a), a + "s", a[1:], a + longS, strings.ReplaceAll(strings.ReplaceAll(a, "s", longS), "k", kelvin)}
	for i := range len(a) {
		names = append(names, a[:i]+string(a[i]^0x20)+a[i+1:])
		for _, s := range subs {
			names = append(names, a[:i]+s+a[i+1:])
		}
	}
	return names
}

// decodedAs reports whether encoding/json reads a member named name into
// a struct field tagged a.
func decodedAs(t *testing.T, name, a string) bool {
	t.Helper()
	typ := reflect.StructOf([]reflect.StructField{{Name: "X", Type: reflect.TypeFor[*int](), Tag: reflect.StructTag(`json:"` + a + `"`)}})
	body, err := json.Marshal(map[string]int{name: 1})
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.New(typ)
	if err := json.Unmarshal(body, v.Interface()); err != nil {
		t.Fatalf("json.Unmarshal(%s): %v", body, err)
	}
	return !v.Elem().Field(0).IsNil()
}
