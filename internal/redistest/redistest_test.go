package redistest

import (
	"context"
	"testing"
	"time"
)

func TestStartStopRestart(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	if err := ping(ctx, s.Addr()); err != nil {
		t.Fatalf("ping after Start: %v", err)
	}
	s.Stop()
	if err := ping(ctx, s.Addr()); err == nil {
		t.Fatal("ping after Stop succeeded, want an error")
	}
	s.Restart()
	if err := waitReady(s.Addr(), time.Second); err != nil {
		t.Fatalf("ping after Restart: %v", err)
	}
}
