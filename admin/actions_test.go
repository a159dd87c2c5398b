package admin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/internal/redistest"
	"reportgate/registry"
)

// evictions records what KeyActions applies to "this replica's cache".
type evictions struct {
	mu  sync.Mutex
	got []uint64 // generations, in order
}

func (e *evictions) Invalidate(_ [32]byte, generation uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, generation)
}

// TestKeyActionsApplyHereAndName: suspend, unsuspend and revoke apply the
// change to this replica's cache before answering, and name the live
// replicas that did not confirm it: here one that is live (its heartbeat is
// in Redis) but hears nothing.
func TestKeyActionsApplyHereAndName(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	t.Cleanup(func() { rc.Close() })
	reg, err := registry.New(rc, "acme", registry.Options{Quorum: 1, Replica: "gw-here"})
	if err != nil {
		t.Fatal(err)
	}
	ev := &evictions{}
	api := NewAPI(reg, nil)
	api.UseKeyActions(NewKeyActions(reg, ev))
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	var clients []*Client
	for _, name := range []string{"alice", "bob"} {
		_, token, err := reg.CreateAdmin(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, must(NewClient(srv.URL, token, srv.Client()))(t))
	}
	filed := must(clients[0].CreateKey(ctx, "k", []int64{1}))(t)
	must(clients[1].Decide(ctx, filed.Request.ID, "approve"))(t)
	must(clients[0].Reveal(ctx, filed.Key.ID))(t)

	// A replica that counts as live for an hour and never acknowledges.
	if err := rc.ZAdd(ctx, reg.Prefix()+"replicas", redis.Z{Score: float64(time.Now().Add(time.Hour).UnixMilli()), Member: "gw-silent"}).Err(); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	k := must(clients[1].KeyAction(ctx, filed.Key.ID, "suspend"))(t)
	if took := time.Since(began); took < ConfirmWait {
		t.Errorf("answered after %v, before waiting %v for the silent replica", took, ConfirmWait)
	}
	want := &Confirmation{Replicas: 2, Confirmed: []string{"gw-here"}, Unconfirmed: []string{"gw-silent"}, WaitMS: 250,
		Summary: "Suspended. 1 of 2 gateway replicas confirmed; replica gw-silent did not answer within 250 ms."}
	if !sameConfirmation(k.Replicas, want) || k.Status != "SUSPENDED" {
		t.Fatalf("suspend answered %s with %+v, want SUSPENDED with %+v", k.Status, k.Replicas, want)
	}
	revoked := must(clients[1].Revoke(ctx, filed.Key.ID))(t)
	if revoked.Replicas == nil || !slices.Equal(revoked.Replicas.Unconfirmed, []string{"gw-silent"}) {
		t.Errorf("revoke answered replicas %+v, want gw-silent named", revoked.Replicas)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if !slices.Equal(ev.got, []uint64{k.Generation, revoked.Key.Generation}) {
		t.Errorf("evicted here generations %v, want %d then %d", ev.got, k.Generation, revoked.Key.Generation)
	}
}

func sameConfirmation(got, want *Confirmation) bool {
	return got != nil && got.Replicas == want.Replicas && got.All == want.All && got.WaitMS == want.WaitMS &&
		slices.Equal(got.Confirmed, want.Confirmed) && slices.Equal(got.Unconfirmed, want.Unconfirmed) &&
		got.Summary == want.Summary
}

// TestConfirmationWords: what an administrator reads after each change.
func TestConfirmationWords(t *testing.T) {
	t.Parallel()
	three := []string{"gw-a", "gw-b", "gw-c"}
	for _, tc := range []struct {
		name, verb string
		applied    registry.Applied
		err        error
		want       string
	}{
		{"all of three", "suspend", registry.Applied{Live: three, Confirmed: three}, nil,
			"Suspended. All 3 gateway replicas refuse it now."},
		{"the only one", "unsuspend", registry.Applied{Live: three[:1], Confirmed: three[:1]}, nil,
			"Unsuspended. The only gateway replica accepts it now."},
		{"one missing", "suspend", registry.Applied{Live: three, Confirmed: three[:2], Missing: three[2:]}, nil,
			"Suspended. 2 of 3 gateway replicas confirmed; replica gw-c did not answer within 250 ms."},
		{"two missing", "revoke", registry.Applied{Live: three, Confirmed: three[:1], Missing: three[1:]}, nil,
			"Revocation filed; the key is suspended until it is decided. 1 of 3 gateway replicas confirmed; replicas gw-b and gw-c did not answer within 250 ms."},
		{"live set unknown", "suspend", registry.Applied{}, errors.New("registry: redis unavailable"),
			"Suspended. This gateway replica refuses it now; whether the others do could not be checked: Redis did not answer."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newConfirmation(tc.verb, tc.applied, tc.err)
			if c.Summary != tc.want {
				t.Errorf("summary %q, want %q", c.Summary, tc.want)
			}
			if wantAll := tc.err == nil && len(tc.applied.Missing) == 0; c.All != wantAll {
				t.Errorf("all = %v, want %v", c.All, wantAll)
			}
		})
	}
}
