package registry

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// A purge reaches subscribers as an event of the channel's chain; bad
// heads are refused before anything is published, and refused when heard.
func TestPublishPurge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	events := e.subscribe()
	ctx := context.Background()
	if err := e.reg.PublishPurge(ctx, []string{"/transactions/12", "/transactions"}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-events.ch:
		ev, err := ParseEvent([]byte(m.Payload))
		if err != nil || ev.Type != EventPurge || fmt.Sprint(ev.Heads) != "[/transactions/12 /transactions]" {
			t.Fatalf("event %q: %+v %v", m.Payload, ev, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no purge event within 5s")
	}
	for _, heads := range [][]string{nil, {"transactions"}, {"/a?b"}, make([]string, maxPurgeHeads+1)} {
		if err := e.reg.PublishPurge(ctx, heads); !errors.Is(err, ErrInvalid) {
			t.Errorf("PublishPurge(%q) = %v, want ErrInvalid", heads, err)
		}
	}
	if _, err := ParseEvent([]byte(`{"type":"purge","heads":["no-slash"]}`)); err == nil {
		t.Error("a purge event with a bad head was accepted")
	}
}
