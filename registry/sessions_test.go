package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

var testTimeouts = SessionTimeouts{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	id := must(e.reg.CreateSession(ctx, e.admins[0], testTimeouts))(t)
	if !strings.HasPrefix(id, SessionIDPrefix) {
		t.Fatalf("session id %q lacks its prefix", id)
	}
	s := must(e.reg.Session(ctx, id, testTimeouts))(t)
	if s.Admin.ID != e.id(0) || s.Admin.Name != e.admins[0].Name {
		t.Fatalf("session admin = %+v, want %+v", s.Admin, e.admins[0])
	}
	// Only the SHA-256 of the id is stored; the id itself appears nowhere.
	keys := must(e.client.Keys(ctx, "*").Result())(t)
	sum := sha256.Sum256([]byte(id))
	want := "rg:{acme}:session:" + hex.EncodeToString(sum[:])
	found := false
	for _, k := range keys {
		found = found || k == want
		if strings.Contains(k, id) {
			t.Fatalf("redis key %q holds the session id", k)
		}
		if typ := must(e.client.Type(ctx, k).Result())(t); typ == "hash" {
			for f, v := range must(e.client.HGetAll(ctx, k).Result())(t) {
				if strings.Contains(v, id) {
					t.Fatalf("%s field %s holds the session id", k, f)
				}
			}
		}
	}
	if !found {
		t.Fatalf("no session stored under %s; keys: %v", want, keys)
	}
	if ttl := must(e.client.PTTL(ctx, want).Result())(t); ttl <= 0 || ttl > testTimeouts.Idle {
		t.Fatalf("session key TTL = %v, want (0, %v]", ttl, testTimeouts.Idle)
	}
	must(0, e.reg.EndSession(ctx, id))(t)
	_, err := e.reg.Session(ctx, id, testTimeouts)
	wantErr(t, "session after sign-out", err, ErrNotFound)
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	tests := []struct {
		name  string
		steps []time.Duration // clock advances, each followed by a lookup
		ok    bool            // whether the last lookup still finds the session
	}{
		{"used within the idle timeout", []time.Duration{29 * time.Minute}, true},
		{"idle too long", []time.Duration{31 * time.Minute}, false},
		{"each visit restarts the idle timeout", []time.Duration{20 * time.Minute, 20 * time.Minute, 20 * time.Minute}, true},
		{"busy but past the absolute timeout", append(repeat(25*time.Minute, 28), 25*time.Minute), false},
	}
	for _, tc := range tests {
		id := must(e.reg.CreateSession(ctx, e.admins[0], testTimeouts))(t)
		var err error
		for _, d := range tc.steps {
			e.clock.Advance(d)
			_, err = e.reg.Session(ctx, id, testTimeouts)
		}
		if got := err == nil; got != tc.ok {
			t.Errorf("%s: session found = %v (err %v), want %v", tc.name, got, err, tc.ok)
		}
		if !tc.ok {
			wantErr(t, tc.name, err, ErrNotFound)
		}
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

// TestSessionOfDisabledAdminEnds: disabling an admin ends their sessions at
// the next request, not at the next sign-in.
func TestSessionOfDisabledAdminEnds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	id := must(e.reg.CreateSession(ctx, e.admins[1], testTimeouts))(t)
	must(e.reg.DisableAdmin(ctx, e.id(1)))(t)
	_, err := e.reg.Session(ctx, id, testTimeouts)
	wantErr(t, "session of a disabled admin", err, ErrNotFound)
	disabled := e.admins[1]
	disabled.Status = AdminDisabled
	_, err = e.reg.CreateSession(ctx, disabled, testTimeouts)
	wantErr(t, "sign-in of a disabled admin", err, ErrForbidden)
}

func TestSessionRefusesForgedIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 1)
	ctx := context.Background()
	id := must(e.reg.CreateSession(ctx, e.admins[0], testTimeouts))(t)
	for _, forged := range []string{"", "lrs_", id[:len(id)-1], id + "x", "lra_" + id[4:], strings.ToUpper(id)} {
		if _, err := e.reg.Session(ctx, forged, testTimeouts); err == nil {
			t.Errorf("Session(%q) found a session", forged)
		}
	}
	if _, err := e.reg.Session(ctx, id, SessionTimeouts{Idle: time.Hour, Absolute: time.Minute}); !errorsIsInvalid(err) {
		t.Errorf("absolute timeout below the idle one: err = %v, want ErrInvalid", err)
	}
}

func TestSessionOutageIsNotSignOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 1)
	ctx := context.Background()
	id := must(e.reg.CreateSession(ctx, e.admins[0], testTimeouts))(t)
	e.srv.Stop()
	_, err := e.reg.Session(ctx, id, testTimeouts)
	wantErr(t, "session during an outage", err, ErrUnavailable)
}
