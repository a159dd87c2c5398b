package testkit

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"reportgate/internal/apierr"
)

// Clock is an injectable clock: time moves only when a test says so
// (Advance), on top of a fixed instant (NewClock) or of the real clock
// (NewRealClock, for tests where real sockets also time out). Safe for
// concurrent use.
type Clock struct {
	mu     sync.Mutex
	base   time.Time // zero: the real clock
	offset time.Duration
}

// NewClock returns a clock frozen at start.
func NewClock(start time.Time) *Clock { return &Clock{base: start} }

// NewRealClock returns a clock that follows the real one until Advance
// moves it ahead.
func NewRealClock() *Clock { return &Clock{} }

// Now is the clock's time; pass c.Now where a func() time.Time is taken.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base.IsZero() {
		return time.Now().Add(c.offset)
	}
	return c.base.Add(c.offset)
}

// Advance moves the clock d ahead.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// LogBuffer collects log output from concurrent goroutines.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Lines is what was written, one element per line.
func (l *LogBuffer) Lines() []string {
	s := strings.TrimSpace(l.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// ErrorBody is the upstream's Error object, which the gateway and its admin
// API answer too: {"message", "name", "status_code"}.
type ErrorBody = apierr.Body

// DecodeError reads body as an ErrorBody, failing t when it is not one
// (unknown fields included) or when its status_code is not status.
func DecodeError(t testing.TB, body []byte, status int) ErrorBody {
	t.Helper()
	var e ErrorBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("body %q is not the Error shape: %v", body, err)
	}
	if e.StatusCode != status || e.Name == "" || e.Message == "" {
		t.Fatalf("error body %+v: want status_code %d with a name and a message", e, status)
	}
	return e
}

// WaitFor polls cond until it holds, failing t with what when it does not
// within timeout. Use it instead of sleeping for a fixed time.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; !cond(); wait = min(wait*2, 20*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(wait)
	}
}

// Measure is WaitFor polling every millisecond, for tests that measure how
// long something takes to happen: it returns the time cond took to hold.
func Measure(t testing.TB, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}
