package main

import (
	"io"
	"testing"
	"time"
)

func TestRateLimitFlag(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		arg string
		n   int
		per time.Duration
		ok  bool
	}{
		{"50/s", 50, time.Second, true},
		{"600/m", 600, time.Minute, true},
		{"0/s", 0, 0, false},
		{"050/s", 0, 0, false},
		{"5/h", 0, 0, false},
		{"5", 0, 0, false},
	} {
		cfg, _, err := parseFlags([]string{"--rate-limit", tt.arg}, io.Discard)
		if (err == nil) != tt.ok || cfg.RateLimit != tt.n || (tt.ok && cfg.RatePer != tt.per) {
			t.Errorf("--rate-limit %s: %d per %v, %v; want %d per %v, ok %v", tt.arg, cfg.RateLimit, cfg.RatePer, err, tt.n, tt.per, tt.ok)
		}
	}
	if cfg, _, err := parseFlags(nil, io.Discard); err != nil || cfg.RateLimit != 0 {
		t.Errorf("no flag: %d, %v; want no limit", cfg.RateLimit, err)
	}
}
