package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"reportgate/admin"
	"reportgate/config"
	"reportgate/internal/redistest"
	"reportgate/registry"
)

// suspendBound is how long after a suspend's 200 a replica may still accept
// the key across a failover: ProofWindow (docs/redis-ha.md), plus 250 ms of
// scheduling on a loaded 2-core machine under -race.
const suspendBound = registry.ProofWindow + 250*time.Millisecond

// TestSentinelSuspendAfterFailover reproduces issue 16 item 2: after a
// SENTINEL FAILOVER, go-redis moves the command connections to the new
// master but leaves the subscription on the demoted one, which hears
// nothing the new master publishes; a key suspended right after the
// failover stayed usable on every replica for ~8 s (158–180 requests
// accepted after the 200). Now each replica's probes stop coming back, it
// purges and resubscribes: no replica accepts the key later than
// suspendBound after the 200.
func TestSentinelSuspendAfterFailover(t *testing.T) {
	t.Parallel()
	s := redistest.StartSentinel(t)
	w := newHAWorld(t, s.URL())
	g1, g2 := w.replica(), w.replica()
	k, secret := w.key(1)
	for _, g := range []interface{ ProxyAddr() string }{g1, g2} {
		waitStatus(t, g2Get(g, secret), http.StatusOK) // cached on both
	}
	tr1, tr2 := startTraffic(g1, secret), startTraffic(g2, secret)

	old, promoted, switched := s.Failover()
	ctx := context.Background()
	_, acked, err := setSuspended(ctx, w.adminClient(g1, 1), k.ID, true, 10*time.Second)
	if err != nil {
		t.Fatalf("suspend after the failover: %v", err)
	}
	suspended := time.Now()
	deadline := suspended.Add(suspendBound)
	waitUntil(t, deadline.Add(time.Second), func() bool { return tr1.count(deadline) > 20 && tr2.count(deadline) > 20 })
	tr1.halt()
	tr2.halt()

	t.Logf("failover %s → %s; suspend answered %v after the sentinels agreed (acknowledged: %v)",
		old, promoted, suspended.Sub(switched).Round(time.Millisecond), acked)
	for i, tr := range []*traffic{tr1, tr2} {
		n, last := tr.accepted(suspended)
		late, _ := tr.accepted(deadline)
		lastAt := "none"
		if n > 0 {
			lastAt = last.Sub(suspended).Round(time.Millisecond).String() + " after it"
		}
		t.Logf("replica %d: %d of %d requests accepted after the 200 (last sent: %s); %d of %d after the bound",
			i+1, n, tr.count(suspended), lastAt, late, tr.count(deadline))
		if late > 0 {
			t.Errorf("replica %d accepted the suspended key %d times later than %v after the 200", i+1, late, suspendBound)
		}
	}
}

// TestSentinelFailoverKeepsAcknowledgedActions reproduces issue 16 item 3:
// an admin suspending and unsuspending in a loop across a SENTINEL FAILOVER
// had calls answered 200 by the demoted master in the moments before the
// gateways switched, then discarded when it resynced. Now an action is
// acknowledged only once a replica has it (WAIT): every action answered 200
// is in the new master's audit log. Entries lost with their head pointer
// stay detectable by the replica that acknowledged them.
func TestSentinelFailoverKeepsAcknowledgedActions(t *testing.T) {
	t.Parallel()
	s := redistest.StartSentinel(t)
	w := newHAWorld(t, s.URL())
	g := w.replica()
	k, _ := w.key(1)
	ctx := context.Background()
	loop := startAdminLoop(ctx, t, w.adminClient(g, 1), k.ID)
	waitUntil(t, time.Now().Add(10*time.Second), func() bool { return loop.acks() >= 10 })
	_, _, switched := s.Failover()
	waitUntil(t, switched.Add(30*time.Second), func() bool { return loop.acksSince(switched.Add(2*time.Second)) >= 10 })
	loop.halt()

	audit := auditActions(t, w.reg)
	missing := 0
	for _, a := range loop.acked {
		if !slices.ContainsFunc(audit, a.in) {
			missing++
			t.Errorf("acknowledged %s (generation %d) %v after the switch is not in the audit log",
				a.action, a.generation, a.done.Sub(switched).Round(time.Millisecond))
		}
	}
	t.Logf("%d actions acknowledged (%d after the switch), %d answered 503 and read back; %d missing from the audit log",
		len(loop.acked), loop.acksSince(switched), loop.unavailable, missing)
	if v, err := w.reg.VerifyAudit(ctx); err != nil || !v.OK {
		t.Fatalf("audit after the failover: %+v, %v", v, err)
	}

	// A tail lost together with its head pointer (what a failover to a
	// replica that lacked it does) verifies on its own; the replica that
	// acknowledged it still tells.
	head, err := g.Registry().VerifyAudit(ctx)
	if err != nil || !head.OK || head.AcknowledgedSeq == 0 {
		t.Fatalf("the gateway's own verification: %+v, %v", head, err)
	}
	truncateAudit(t, w, 3)
	if v, _ := w.reg.VerifyAudit(ctx); !v.OK {
		t.Fatalf("a registry that acknowledged nothing should see a consistent (shorter) chain: %+v", v.Broken)
	}
	if v, _ := g.Registry().VerifyAudit(ctx); v.OK {
		t.Fatalf("the gateway that acknowledged entry %d verifies a log ending at %d", head.AcknowledgedSeq, v.HeadSeq)
	}
}

// TestSentinelMasterKilled: after a kill -9 of the master, admin actions
// and unknown keys fail (503) until the sentinels promote the replica
// (down-after-milliseconds is 1 s here), then work again at once: go-redis
// switches on +switch-master and the registry's durability memory does not
// hold actions back on the promoted replica, which never had a replica.
func TestSentinelMasterKilled(t *testing.T) {
	t.Parallel()
	s := redistest.StartSentinel(t)
	w := newHAWorld(t, s.URL())
	g := w.replica()
	k, _ := w.key(1)
	unknown, err := registry.GenerateKey()
	must(t, err)
	ops := haOps(w, g, k.ID, unknown)
	for name, op := range ops {
		if !op() {
			t.Fatalf("%s fails before the kill", name)
		}
	}
	old, killed := s.KillMaster()
	promoted, at := s.WaitNewMaster(old, 20*time.Second)
	t.Logf("kill -9 of %s; the sentinels agreed on %s after %v", old, promoted, at.Sub(killed).Round(time.Millisecond))
	recovered(t, ops, at, time.Second)
}

// adminAction is one suspend or unsuspend: the action, the key generation
// it left (the audit entry's after-snapshot carries it) and, for a call, when
// it was sent and answered, for an audit entry, its time. Generations alone
// do not tell an action apart from a redo after a loss (the state, hence the
// generation, is the same); the time does.
type adminAction struct {
	action     string // key.suspend, key.unsuspend
	generation uint64
	sent, done time.Time
}

// in reports whether audit entry e records call a: same action and
// generation, stamped while the call was in flight (1 ms: the log's unit).
func (a adminAction) in(e adminAction) bool {
	return a.action == e.action && a.generation == e.generation &&
		!e.sent.Before(a.sent.Truncate(time.Millisecond)) && !e.sent.After(a.done)
}

// adminLoop alternates suspend and unsuspend through the admin API every
// 10 ms, as an operator's script would; a 503 or a 409 is followed by a
// read of the key, which decides the next call.
type adminLoop struct {
	mu          sync.Mutex
	acked       []adminAction
	unavailable int
	stop        chan struct{}
	done        chan struct{}
}

func startAdminLoop(ctx context.Context, t *testing.T, c *admin.Client, id string) *adminLoop {
	l := &adminLoop{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		suspend := true
		for {
			select {
			case <-l.stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			suspend = l.step(ctx, t, c, id, suspend)
		}
	}()
	return l
}

// step makes one call and returns what the next call should be.
func (l *adminLoop) step(ctx context.Context, t *testing.T, c *admin.Client, id string, suspend bool) bool {
	verb := map[bool]string{true: "suspend", false: "unsuspend"}[suspend]
	var k admin.Key
	sent := time.Now()
	err := c.Do(ctx, "POST", "/v1/keys/"+id+"/"+verb, nil, nil, &k)
	if err == nil {
		l.mu.Lock()
		l.acked = append(l.acked, adminAction{"key." + verb, k.Generation, sent, time.Now()})
		l.mu.Unlock()
		return !suspend
	}
	var ae *admin.APIError
	if !errors.As(err, &ae) || (ae.StatusCode != http.StatusServiceUnavailable && ae.StatusCode != http.StatusConflict) {
		t.Errorf("%s: %v", verb, err)
		return suspend
	}
	if ae.StatusCode == http.StatusServiceUnavailable {
		l.mu.Lock()
		l.unavailable++
		l.mu.Unlock()
	}
	if err := c.Do(ctx, "GET", "/v1/keys/"+id, nil, nil, &k); err != nil {
		return suspend // Redis still unavailable: ask again
	}
	return k.Status == "ACTIVE"
}

func (l *adminLoop) halt() {
	close(l.stop)
	<-l.done
}

func (l *adminLoop) acks() int { return l.acksSince(time.Time{}) }

func (l *adminLoop) acksSince(from time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.acked {
		if !a.done.Before(from) {
			n++
		}
	}
	return n
}

// auditActions are the suspends and unsuspends in the audit log, with their
// time as sent.
func auditActions(t *testing.T, reg *registry.Registry) []adminAction {
	t.Helper()
	var out []adminAction
	cursor := ""
	for {
		page, err := reg.Audit(context.Background(), cursor, 200)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			var after struct {
				Key struct {
					Generation uint64 `json:"generation"`
				} `json:"key"`
			}
			if e.Action == "key.suspend" || e.Action == "key.unsuspend" {
				must(t, json.Unmarshal(e.After, &after))
				out = append(out, adminAction{e.Action, after.Key.Generation, e.Time, e.Time})
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			return out
		}
	}
}

// truncateAudit removes the last n audit entries and moves the head pointer
// back to the entry before them: a consistent, shorter log, as a failover to
// a replica that lacked the tail leaves.
func truncateAudit(t *testing.T, w *haWorld, n int64) {
	t.Helper()
	target, err := config.ParseRedisURL(w.redisURL())
	must(t, err)
	c := target.NewClient()
	defer c.Close()
	ctx := context.Background()
	tail, err := c.XRevRangeN(ctx, "rg:{acme}:audit", "+", "-", n+1).Result()
	must(t, err)
	if int64(len(tail)) != n+1 {
		t.Fatalf("audit log has %d entries, want more than %d", len(tail), n)
	}
	for _, m := range tail[:n] {
		must(t, c.XDel(ctx, "rg:{acme}:audit", m.ID).Err())
	}
	last := tail[n].Values
	must(t, c.HSet(ctx, "rg:{acme}:audit:head", "seq", last["seq"], "hash", last["hash"]).Err())
}

// waitUntil polls cond until it holds, failing the test at deadline.
func waitUntil(t *testing.T, deadline time.Time, cond func() bool) {
	t.Helper()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in time")
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}
