package logbuf

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink records each write it receives.
type sink struct {
	mu     sync.Mutex
	writes []string
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func (s *sink) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes...)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLinesWaitForTheTickAndLeaveInOneWrite(t *testing.T) {
	var s sink
	tick := make(chan time.Time)
	w := New(&s, 4096, tick)
	defer w.Close()
	for _, l := range []string{"a\n", "b\n", "c\n"} {
		if _, err := w.Write([]byte(l)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.snapshot(); len(got) != 0 {
		t.Fatalf("written before the tick: %q", got)
	}
	tick <- time.Now()
	waitFor(t, "flush", func() bool { return len(s.snapshot()) > 0 })
	if got := s.snapshot(); len(got) != 1 || got[0] != "a\nb\nc\n" {
		t.Fatalf("writes %q, want one write of the three lines", got)
	}
}

func TestAFullBufferIsWrittenWithoutSplittingALine(t *testing.T) {
	var s sink
	w := New(&s, 16, make(chan time.Time))
	defer w.Close()
	lines := []string{"0123456789\n", "abcdefghij\n", "klmnopqrst\n"}
	for _, l := range lines {
		if _, err := w.Write([]byte(l)); err != nil {
			t.Fatal(err)
		}
	}
	got := s.snapshot()
	if len(got) != 2 || got[0] != lines[0] || got[1] != lines[1] {
		t.Fatalf("writes %q, want the first two lines, one per write", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.snapshot(), ""); got != strings.Join(lines, "") {
		t.Fatalf("after Close %q", got)
	}
}

func TestCloseWritesWhatIsBuffered(t *testing.T) {
	var out bytes.Buffer
	w := New(&out, 4096, make(chan time.Time))
	if _, err := w.Write([]byte("last words\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil { // twice is harmless
		t.Fatal(err)
	}
	if out.String() != "last words\n" {
		t.Fatalf("%q", out.String())
	}
	if _, err := w.Write([]byte("after the end\n")); err != nil {
		t.Fatal(err)
	}
	if out.String() != "last words\nafter the end\n" {
		t.Fatalf("a line after Close was kept back: %q", out.String())
	}
}

func TestConcurrentLinesStayWhole(t *testing.T) {
	var out bytes.Buffer
	w := New(&out, 256, make(chan time.Time))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			line := []byte(strings.Repeat(string(rune('a'+g)), 40) + "\n")
			for range 200 {
				if _, err := w.Write(line); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*200 {
		t.Fatalf("%d lines, want %d", len(lines), 8*200)
	}
	for _, l := range lines {
		if len(l) != 40 || strings.Count(l, l[:1]) != 40 {
			t.Fatalf("torn line %q", l)
		}
	}
}
