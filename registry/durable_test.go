package registry

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"reportgate/internal/redistest"
)

// replicated is a registry on a master with one replica in sync.
func replicated(t *testing.T, wait time.Duration) (*env, *redistest.Server) {
	t.Helper()
	e := newEnv(t, 1, 2)
	replica := redistest.StartReplica(t, e.srv)
	reg, err := New(e.client, "acme", Options{Quorum: 1, Now: e.clock.Now, ReplicaWait: wait})
	if err != nil {
		t.Fatal(err)
	}
	e.reg = reg
	return e, replica
}

// TestActionWaitsForReplica: with a replica, an action is acknowledged once
// the replica has it; a replica that stops acknowledging turns the action
// into ErrUnavailable after ReplicaWait, and the state read back tells
// whether it was applied.
func TestActionWaitsForReplica(t *testing.T) {
	t.Parallel()
	e, replica := replicated(t, time.Second)
	ctx := context.Background()
	k, _ := e.activeKey("k", 1)
	must(e.reg.Suspend(ctx, e.id(1), k.ID))(t)
	replicaHas(t, replica, k.ID, "SUSPENDED")

	replica.Pause()
	began := time.Now()
	_, err := e.reg.Unsuspend(ctx, e.id(1), k.ID)
	wantErr(t, "unsuspend while the replica is paused", err, ErrUnavailable)
	if took := time.Since(began); took < time.Second || !strings.Contains(err.Error(), "read the state back") {
		t.Fatalf("refused after %v with %q: want a WAIT of 1s and advice to read back", took, err)
	}
	if got := must(e.reg.Key(ctx, k.ID))(t); got.Status != StatusActive {
		t.Fatalf("read back: %s; the master applied the unsuspend, the answer only said it is not durable", got.Status)
	}
	replica.Resume()
	must(e.reg.Suspend(ctx, e.id(1), k.ID))(t)
	replicaHas(t, replica, k.ID, "SUSPENDED")
}

// TestUnconfirmedRevealKeepsItsSecret: a reveal no replica confirms is
// still answered with its secret (ErrNotReplicated alongside): the master
// has the key's hash, and an answer without the secret would leave a key
// nobody can ever use. Other actions answer ErrUnavailable only.
func TestUnconfirmedRevealKeepsItsSecret(t *testing.T) {
	t.Parallel()
	e, replica := replicated(t, time.Second)
	ctx := context.Background()
	created := e.createKey("k", 1)
	replica.Pause()
	k, secret, err := e.reg.Reveal(ctx, e.id(0), created.ID)
	wantErr(t, "reveal while the replica is paused", err, ErrNotReplicated)
	wantErr(t, "reveal while the replica is paused", err, ErrUnavailable)
	if secret == "" || k.Status != StatusActive {
		t.Fatalf("unconfirmed reveal: key %s, secret %q; want the revealed key and its secret", k.Status, secret)
	}
	if got := must(e.reg.KeyByHash(ctx, KeyHash([]byte(secret))))(t); got.ID != k.ID {
		t.Fatalf("the secret answered is not the one stored: %s", got.ID)
	}
	_, err = e.reg.Suspend(ctx, e.id(1), k.ID)
	wantErr(t, "suspend while the replica is paused", err, ErrNotReplicated)
	replica.Resume()
}

// TestDemotedMasterWaits: a master whose replica left (as the old master of
// a Sentinel failover sees its replica promoted away) keeps waiting for one
// for replicaMemory, so that what it accepts is never acknowledged.
func TestDemotedMasterWaits(t *testing.T) {
	t.Parallel()
	e, replica := replicated(t, time.Second)
	ctx := context.Background()
	k, _ := e.activeKey("k", 1)
	replica.Stop()
	_, err := e.reg.Suspend(ctx, e.id(1), k.ID)
	wantErr(t, "suspend after the replica left", err, ErrUnavailable)
}

// TestLoneMasterDoesNotWait: a master that never had a replica
// acknowledges at once (ReplicaWait is never spent).
func TestLoneMasterDoesNotWait(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	reg, err := New(e.client, "acme", Options{Quorum: 1, ReplicaWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e.reg = reg
	ctx := context.Background()
	k, _ := e.activeKey("k", 1)
	began := time.Now()
	must(e.reg.Suspend(ctx, e.id(1), k.ID))(t)
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("suspend took %v on a lone master", took)
	}
}

func replicaHas(t *testing.T, replica *redistest.Server, keyID, status string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: replica.Addr()})
	defer c.Close()
	// WAIT returned: the replica has it now, no polling needed.
	got, err := c.HGet(context.Background(), "rg:{acme}:key:"+keyID, "status").Result()
	if err != nil || got != status {
		t.Fatalf("replica has %s as %q (%v), want %s", keyID, got, err, status)
	}
}

// TestAcknowledgedEntriesLost: entries this process acknowledged and that
// Redis then lost (a restart without persistence; a failover to a replica
// that lacked them) break the verification, whether the log is shorter or
// went on with other entries under the same numbers.
func TestAcknowledgedEntriesLost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	k, _ := e.activeKey("k", 1)
	must(e.reg.Suspend(ctx, e.id(1), k.ID))(t)
	v := must(e.reg.VerifyAudit(ctx))(t)
	if !v.OK || v.AcknowledgedSeq != v.HeadSeq {
		t.Fatalf("before the loss: %+v, want OK with the head acknowledged", v)
	}
	acked := v.HeadSeq

	e.srv.Restart() // empty
	v = must(e.reg.VerifyAudit(ctx))(t)
	if v.OK || v.Broken == nil || !strings.Contains(v.Broken.Reason, "acknowledged") {
		t.Fatalf("after losing everything: %+v, want the acknowledged tail reported lost", v)
	}

	for i := 0; uint64(i) < acked+2; i++ { // a new history, longer than the lost one
		must2(e.reg.CreateAdmin(ctx, "admin "+string(rune('a'+i))))(t)
	}
	v = must(e.reg.VerifyAudit(ctx))(t)
	if v.OK || v.Broken == nil || v.Broken.Seq != acked || !strings.Contains(v.Broken.Reason, "acknowledged") {
		t.Fatalf("after a new history: %+v, want entry %d reported different", v.Broken, acked)
	}
}

// TestTrackDurability: the tracker reports whether the data outlives a
// restart of the master (AOF or a replica), and a server that refuses INFO
// (the demo's embedded Redis) as unknown, not as an error.
func TestTrackDurability(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		client   func(t *testing.T) *redis.Client
		safe     bool
		refusing bool
	}{
		{"lone master without AOF", func(t *testing.T) *redis.Client { return clientOf(t, redistest.Start(t).Addr()) }, false, false},
		{"master with a replica", func(t *testing.T) *redis.Client {
			m := redistest.Start(t)
			redistest.StartReplica(t, m)
			return clientOf(t, m.Addr())
		}, true, false},
		{"embedded", func(t *testing.T) *redis.Client { return clientOf(t, miniredis.RunT(t).Addr()) }, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg, err := New(tc.client(t), "acme", Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			heard := make(chan Durability, 1)
			go reg.TrackDurability(ctx, time.Hour, func(d Durability) { heard <- d })
			var d Durability
			select {
			case d = <-heard:
			case <-time.After(10 * time.Second):
				t.Fatal("no durability report within 10s")
			}
			if d.Safe() != tc.safe || (d.Refused != "") != tc.refusing || reg.Durability() != d {
				t.Fatalf("reported %+v (safe %v), want safe %v, refused %v", d, d.Safe(), tc.safe, tc.refusing)
			}
		})
	}
}

func clientOf(t *testing.T, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}
