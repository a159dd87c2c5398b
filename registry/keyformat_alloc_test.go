//go:build !race

// The race detector instruments allocations, so this test runs without it.

package registry

import "testing"

// CheckKeyFormat runs on every partner request: it must not allocate.
func TestCheckKeyFormatAllocatesNothing(t *testing.T) {
	good, _ := GenerateKey()
	inputs := [][]byte{[]byte(good), []byte("lrk_short"), []byte(good[:KeyLen-1] + "!"), make([]byte, KeyLen)}
	for _, in := range inputs {
		if n := testing.AllocsPerRun(1000, func() { CheckKeyFormat(in) }); n != 0 {
			t.Errorf("CheckKeyFormat(%q) allocates %v times per run, want 0", in, n)
		}
	}
}

func BenchmarkCheckKeyFormat(b *testing.B) {
	good, _ := GenerateKey()
	key := []byte(good)
	b.ReportAllocs()
	for b.Loop() {
		CheckKeyFormat(key)
	}
}
