package registry

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/internal/seal"
)

// Options tunes a Registry. The zero value gives the documented defaults.
type Options struct {
	// Quorum is the number of approvals a request needs; the requester never
	// counts. 0 means 2.
	Quorum int
	// RequestTTL is how long a request stays open. 0 means 168h (7 days).
	RequestTTL time.Duration
	// Now is the clock; nil means time.Now. Tests inject one to expire
	// requests without sleeping.
	Now func() time.Time
	// Logger receives one line per transition (never a secret); nil discards.
	Logger *slog.Logger
	// Seal seals partner webhook secrets and queued deliveries in Redis
	// (notify_seal.go). Nil: they cannot be stored (ErrNoSealKey), and
	// stored ones cannot be read.
	Seal *seal.Keyring
	// ReplicaWait is how long an admin action waits for a replica to
	// confirm it when the master has one (see durable.go); 0 means 1s.
	ReplicaWait time.Duration
	// Replica names this gateway replica to the others (the live set and
	// the acknowledgements of key changes, replicas.go): letters, digits,
	// '.', '_' or '-', at most 64. Default: the host name and 4 random hex
	// digits.
	Replica string
	// OutageGrace is how long this replica keeps serving cached keys once
	// Redis stops answering (the gateway's --outage-grace): the others
	// count it live that long after its last probe, plus ProofWindow.
	OutageGrace time.Duration
}

// Registry is the workspace's keys, requests, admins and audit log in Redis.
// It is safe for concurrent use. Every rule is enforced by a Lua script,
// atomically, in Redis; the only state it keeps is its memory of which
// masters had replicas and of the last audit entry it acknowledged
// (durable.go).
type Registry struct {
	client    redis.UniversalClient
	workspace string
	prefix    string // "rg:{<workspace>}:", the hash tag shared by every key
	quorum    int
	ttl       time.Duration
	now       func() time.Time
	log       *slog.Logger
	scripts   scripts
	// actions are the scripts of admin actions: acknowledged once durable.
	actions     map[*redis.Script]bool
	replicaWait time.Duration
	repl        replication
	server      serverWatch // which server the client dials (watch.go)
	// groupReady is set once the notification consumer group exists.
	groupReady atomic.Bool
	seal       *seal.Keyring
	// replica is this replica's name; liveFor how long after a probe the
	// others count it live; acks what it heard of key changes applied
	// (replicas.go).
	replica string
	liveFor time.Duration
	acks    ackBook
}

// New returns a Registry for workspace on client. It does not touch the
// network (go-redis connects lazily), so it cannot fail on an outage. On a
// single-node or Sentinel client it adds a dial hook that notices the client
// reaching another server (Watch resubscribes then).
func New(client redis.UniversalClient, workspace string, opts Options) (*Registry, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil redis client", ErrInvalid)
	}
	if !workspacePattern.MatchString(workspace) {
		return nil, invalidf("workspace %q: use letters, digits, '.', '_' or '-', at most 64", workspace)
	}
	if opts.Quorum < 0 || opts.RequestTTL < 0 || opts.ReplicaWait < 0 || opts.OutageGrace < 0 {
		return nil, invalidf("quorum (%d), request TTL (%v), replica wait (%v) and outage grace (%v) must not be negative",
			opts.Quorum, opts.RequestTTL, opts.ReplicaWait, opts.OutageGrace)
	}
	if opts.Replica == "" {
		opts.Replica = defaultReplicaName()
	}
	if !replicaPattern.MatchString(opts.Replica) {
		return nil, invalidf("replica name %q: use letters, digits, '.', '_' or '-', at most 64", opts.Replica)
	}
	switch client.(type) {
	case *redis.Client, *redis.ClusterClient:
	default:
		return nil, invalidf("redis client %T: use a single-node, Sentinel (failover) or Cluster client", client)
	}
	r := &Registry{
		client:    client,
		workspace: workspace,
		prefix:    "rg:{" + workspace + "}:",
		quorum:    cmpOr(opts.Quorum, 2),
		ttl:       cmpOr(opts.RequestTTL, 7*24*time.Hour),
		now:       opts.Now,
		log:       opts.Logger,
		seal:      opts.Seal,

		replicaWait: cmpOr(opts.ReplicaWait, defaultReplicaWait),
		replica:     opts.Replica,
		liveFor:     opts.OutageGrace + ProofWindow,
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c, ok := client.(*redis.Client); ok {
		c.AddHook(&r.server)
	}
	r.scripts = loadScripts()
	sc := &r.scripts
	r.actions = map[*redis.Script]bool{}
	for _, s := range []*redis.Script{sc.fileCreate, sc.fileChange, sc.vote, sc.abort, sc.reveal, sc.suspend, sc.adminChange} {
		r.actions[s] = true
	}
	return r, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Workspace is the workspace the registry serves.
func (r *Registry) Workspace() string { return r.workspace }

// Quorum is the number of approvals new requests need.
func (r *Registry) Quorum() int { return r.quorum }

// EventsChannel is the Pub/Sub channel of key invalidation events (Event).
func (r *Registry) EventsChannel() string { return r.key("events") }

// Prefix is what every Redis key of the workspace starts with,
// "rg:{<workspace>}:", its hash tag included. The workspace's other stores
// (rate budgets, notifications, console sessions) put their keys under it,
// so that on Cluster every key of a workspace lives in one slot.
func (r *Registry) Prefix() string { return r.prefix }

func (r *Registry) key(suffix string) string { return r.prefix + suffix }

//go:embed lua/*.lua
var luaFiles embed.FS

// scripts are the registry's Lua scripts. A state-changing script is
// sha256.lua + events.lua + prelude.lua + its body + postlude.lua; the
// hot-path lookups are standalone so that a NOSCRIPT fallback after a Redis
// restart stays small, and the other publishers take events.lua alone.
type scripts struct {
	fileCreate, fileChange, vote, abort, reveal, suspend *redis.Script
	read, list, expireDue, adminChange                   *redis.Script
	keyByHash, adminByToken                              *redis.Script
	scopeStore, scopeInvalidate, claimJobs, probe        *redis.Script
	session, usage, replicas                             *redis.Script
}

func loadScripts() scripts {
	read := func(name string) string {
		b, err := luaFiles.ReadFile("lua/" + name + ".lua")
		if err != nil {
			panic(err) // embedded at build time: cannot happen
		}
		return string(b)
	}
	common := read("sha256") + read("events") + read("prelude")
	op := func(name string) *redis.Script {
		return redis.NewScript(common + read(name) + read("postlude"))
	}
	alone := func(name string) *redis.Script { return redis.NewScript(read(name)) }
	publisher := func(name string) *redis.Script { return redis.NewScript(read("events") + read(name)) }
	return scripts{
		fileCreate: op("file_create"), fileChange: op("file_change"), vote: op("vote"),
		abort: op("abort"), reveal: op("reveal"), suspend: op("suspend"),
		read: op("read"), list: op("list"), expireDue: op("expire_due"), adminChange: op("admin_change"),
		keyByHash: alone("key_by_hash"), adminByToken: alone("admin_by_token"),
		scopeStore: alone("scope_store"), scopeInvalidate: publisher("scope_invalidate"), claimJobs: alone("claim_jobs"),
		probe: publisher("probe"), session: alone("session"), usage: alone("usage"),
		replicas: alone("replicas"),
	}
}

// run executes a prelude-based script with the conventional arguments
// (prefix, now) followed by args, and returns the script's result. KEYS[1] is
// the audit stream: it routes the script to the workspace's slot on Cluster,
// where every key the script touches lives too (same hash tag). An admin
// action is answered only once durable (runDurable).
func (r *Registry) run(ctx context.Context, s *redis.Script, what string, now time.Time, args ...any) (any, error) {
	argv := append([]any{r.prefix, now.UnixMilli()}, args...)
	keys := []string{r.key("audit")}
	var v any
	var err error
	if r.actions[s] {
		v, err = r.runDurable(ctx, s, keys, argv)
	} else {
		v, err = s.Run(ctx, r.client, keys, argv...).Result()
	}
	if err != nil {
		err = classify(err, what)
		r.logFailure(what, err)
		if v == nil || !errors.Is(err, ErrNotReplicated) {
			return nil, err
		}
	}
	// The change is applied (err is nil or ErrNotReplicated): its result.
	res, perr := r.result(s, what, v, err == nil)
	if perr != nil {
		return nil, perr
	}
	return res, err
}

// result unwraps a state script's answer, {result, audit head}
// (postlude.lua). The audit entry of a durable admin action is remembered
// as acknowledged (VerifyAudit then notices it lost), and a number reused
// by another entry is logged; a change no replica confirmed is not
// acknowledged.
func (r *Registry) result(s *redis.Script, what string, v any, durable bool) (any, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) != 2 {
		return nil, fmt.Errorf("registry: %s: unexpected script reply %T", what, v)
	}
	if head, _ := arr[1].(string); durable && r.actions[s] && head != "" && r.repl.acknowledged(head) {
		r.logLost("an acknowledged entry's number now names another entry")
	}
	if arr[0] == nil { // a nil result, as redis.Nil was before the wrapping
		return nil, classify(redis.Nil, what)
	}
	return arr[0], nil
}

// logFailure records outages; refusals are the caller's business.
func (r *Registry) logFailure(what string, err error) {
	if isUnavailable(err) {
		r.log.Warn("registry: redis unavailable", "op", what, "err", err)
	}
}

// Ping checks that Redis answers (readiness).
func (r *Registry) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return classify(err, "ping")
	}
	return nil
}
