package ratelimit

import (
	"errors"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		count int
		per   time.Duration
		ok    bool
	}{
		{"10/s", 10, time.Second, true},
		{"600/m", 600, time.Minute, true},
		{" 1/s ", 1, time.Second, true},
		{"1000000/s", 1000000, time.Second, true},
		{"1000001/s", 0, 0, false},
		{"0/s", 0, 0, false},
		{"-1/s", 0, 0, false},
		{"10", 0, 0, false},
		{"10/h", 0, 0, false},
		{"10/sec", 0, 0, false},
		{"010/s", 0, 0, false},
		{"+10/s", 0, 0, false},
		{"1e3/s", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		count, per, err := ParseRate(tt.in)
		if (err == nil) != tt.ok || count != tt.count || per != tt.per {
			t.Errorf("ParseRate(%q) = %d, %v, %v; want %d, %v, ok=%v", tt.in, count, per, err, tt.count, tt.per, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRate(%q): %v is not ErrInvalid", tt.in, err)
		}
	}
}

func TestNewLimitBurstDefaultsToOnePeriod(t *testing.T) {
	t.Parallel()
	l := must(NewLimit("600/m", 0))(t)
	if l != (Limit{Count: 600, Per: time.Minute, Burst: 600}) {
		t.Fatalf("NewLimit(600/m, 0) = %+v", l)
	}
	if l.String() != "600/m burst 600" || l.Interval() != 100*time.Millisecond {
		t.Errorf("String %q, Interval %v", l.String(), l.Interval())
	}
	if (Limit{}).String() != "default" {
		t.Errorf("zero limit String = %q, want default", Limit{}.String())
	}
	if _, err := NewLimit("1/s", MaxBurst+1); !errors.Is(err, ErrInvalid) {
		t.Errorf("burst over the maximum: %v, want ErrInvalid", err)
	}
}
