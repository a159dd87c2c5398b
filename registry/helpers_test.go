package registry

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/internal/redistest"
	"reportgate/internal/testkit"
)

// env is one test's registry on its own redis-server.
type env struct {
	t      *testing.T
	srv    *redistest.Server
	client *redis.Client
	reg    *Registry
	clock  *testkit.Clock
	logs   *testkit.LogBuffer
	admins []Admin
	tokens []string
}

// newEnv starts redis-server, a registry with the given quorum and nAdmins
// active admins.
func newEnv(t *testing.T, quorum, nAdmins int) *env {
	t.Helper()
	srv := redistest.Start(t)
	// Few and short retries: the outage tests wait for every refused dial.
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 64,
		MaxRetries: 1, MinRetryBackoff: time.Millisecond, MaxRetryBackoff: 5 * time.Millisecond,
		DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { client.Close() })
	e := &env{t: t, srv: srv, client: client, logs: &testkit.LogBuffer{},
		clock: testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg, err := New(client, "acme", Options{Quorum: quorum, RequestTTL: 24 * time.Hour, Now: e.clock.Now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	e.reg = reg
	for i := 0; i < nAdmins; i++ {
		a, token, err := reg.CreateAdmin(context.Background(), "admin "+string(rune('A'+i%26))+string(rune('a'+i/26)))
		if err != nil {
			t.Fatalf("CreateAdmin: %v", err)
		}
		e.admins = append(e.admins, a)
		e.tokens = append(e.tokens, token)
	}
	return e
}

func (e *env) id(i int) string { return e.admins[i].ID }

// must(f())(t) returns f's value and fails the test if f failed.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// createKey files a creation request as admin 0 and has admins 1..quorum
// approve it; it returns the key in PENDING_SECRET.
func (e *env) createKey(name string, entities ...int64) Key {
	e.t.Helper()
	ctx := context.Background()
	_, req, err := e.reg.FileCreate(ctx, e.id(0), name, entities)
	if err != nil {
		e.t.Fatalf("FileCreate: %v", err)
	}
	var k Key
	for i := 1; i <= e.reg.Quorum(); i++ {
		if _, k, err = e.reg.Approve(ctx, e.id(i), req.ID); err != nil {
			e.t.Fatalf("Approve by admin %d: %v", i, err)
		}
	}
	if k.Status != StatusPendingSecret {
		e.t.Fatalf("after quorum: status %s, want PENDING_SECRET", k.Status)
	}
	return k
}

// activeKey creates and reveals a key; it returns the key and its secret.
func (e *env) activeKey(name string, entities ...int64) (Key, string) {
	e.t.Helper()
	k := e.createKey(name, entities...)
	k, secret, err := e.reg.Reveal(context.Background(), e.id(0), k.ID)
	if err != nil {
		e.t.Fatalf("Reveal: %v", err)
	}
	return k, secret
}

// approveAll has admins 1..quorum approve a request.
func (e *env) approveAll(reqID string) (Request, Key) {
	e.t.Helper()
	var req Request
	var k Key
	var err error
	for i := 1; i <= e.reg.Quorum(); i++ {
		if req, k, err = e.reg.Approve(context.Background(), e.id(i), reqID); err != nil {
			e.t.Fatalf("Approve by admin %d: %v", i, err)
		}
	}
	return req, k
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

// must2 is must for functions returning two values.
func must2[A, B any](a A, b B, err error) func(*testing.T) (A, B) {
	return func(t *testing.T) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return a, b
	}
}

func errorsIsInvalid(err error) bool { return errors.Is(err, ErrInvalid) }
