package registry

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// eventLog is a live subscription to the registry's events channel.
type eventLog struct {
	sub *redis.PubSub
	ch  <-chan *redis.Message
}

// subscribe returns once the subscription is confirmed, so no event of what
// the test does next can be missed.
func (e *env) subscribe() *eventLog {
	e.t.Helper()
	sub := e.client.Subscribe(context.Background(), e.reg.EventsChannel())
	if _, err := sub.Receive(context.Background()); err != nil {
		e.t.Fatalf("subscribe: %v", err)
	}
	e.t.Cleanup(func() { sub.Close() })
	return &eventLog{sub: sub, ch: sub.Channel()}
}

// until collects the events of key id until one carries generation last,
// failing after a deadline; it returns the generations seen, in order.
func (l *eventLog) until(t *testing.T, id string, last uint64) []uint64 {
	t.Helper()
	var gens []uint64
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m := <-l.ch:
			ev, err := ParseEvent([]byte(m.Payload))
			if err != nil {
				t.Fatalf("event %q: %v", m.Payload, err)
			}
			if ev.ID != id {
				continue
			}
			gens = append(gens, ev.Generation)
			if ev.Generation >= last {
				return gens
			}
		case <-deadline:
			t.Fatalf("no event with generation %d for %s within 5s; saw %v", last, id, gens)
		}
	}
}

func TestEventsCarryEveryGenerationBump(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	events := e.subscribe()
	k, _ := e.activeKey("k", 1) // 1 filed, 2 approved, 3 revealed
	must(e.reg.Suspend(ctx, e.id(1), k.ID))(t)
	must(e.reg.Unsuspend(ctx, e.id(1), k.ID))(t)
	_, req := must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{Name: "renamed"}))(t)
	must2(e.reg.Approve(ctx, e.id(1), req.ID))(t)
	_, req = must2(e.reg.FileRevoke(ctx, e.id(0), k.ID))(t)
	must2(e.reg.Reject(ctx, e.id(1), req.ID))(t)
	_, req = must2(e.reg.FileRevoke(ctx, e.id(0), k.ID))(t)
	must2(e.reg.Approve(ctx, e.id(1), req.ID))(t)
	final := must(e.reg.Key(ctx, k.ID))(t)

	gens := events.until(t, k.ID, final.Generation)
	if uint64(len(gens)) != final.Generation {
		t.Fatalf("generations %v, want 1..%d", gens, final.Generation)
	}
	for i, g := range gens {
		if g != uint64(i+1) {
			t.Fatalf("generations %v, want 1..%d in order", gens, final.Generation)
		}
	}
	if final.Generation != 11 || final.Status != StatusRevoked {
		t.Fatalf("final key %+v, want REVOKED at generation 11", final)
	}
}

func TestEventHashAppearsAtReveal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	events := e.subscribe()
	k := e.createKey("k", 1)
	var hashes []string
	for range 2 {
		m := <-events.ch
		hashes = append(hashes, must(ParseEvent([]byte(m.Payload)))(t).Hash)
	}
	_, secret := must2(e.reg.Reveal(context.Background(), e.id(0), k.ID))(t)
	m := <-events.ch
	ev := must(ParseEvent([]byte(m.Payload)))(t)
	sum := KeyHash([]byte(secret))
	if hashes[0] != "" || hashes[1] != "" || ev.Hash != hex.EncodeToString(sum[:]) || ev.Generation != 3 {
		t.Fatalf("hashes before reveal %q, at reveal %+v", hashes, ev)
	}
	if b, err := ev.HashBytes(); err != nil || b != sum {
		t.Fatalf("HashBytes = %x, %v", b, err)
	}
}

func TestParseEventRejectsGarbage(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		``, `{}`, `[]`, `{"type":"admin","id":"key_019ca9450a00Au4xmGbosFGs","generation":1,"hash":""}`,
		`{"type":"key","id":"nope","generation":1,"hash":""}`,
		`{"type":"key","id":"key_019ca9450a00Au4xmGbosFGs","generation":0,"hash":""}`,
		`{"type":"key","id":"key_019ca9450a00Au4xmGbosFGs","generation":1,"hash":"zz"}`,
		`{"type":"key","id":"key_019ca9450a00Au4xmGbosFGs","generation":1,"hash":"` + string(make([]byte, 66)) + `"}`,
	} {
		if ev, err := ParseEvent([]byte(in)); err == nil {
			t.Errorf("ParseEvent(%q) = %+v, want an error", in, ev)
		}
	}
}
