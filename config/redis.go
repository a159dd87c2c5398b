package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// RedisTarget is a parsed --redis-url: exactly one of its fields is set.
type RedisTarget struct {
	Single   *redis.Options
	Failover *redis.FailoverOptions
	Cluster  *redis.ClusterOptions
}

// ParseRedisURL accepts
//
//	redis://[user:pass@]host:port[/db][?opts]        one node (rediss:// for TLS, unix:// for a socket)
//	redis-sentinel://host:port?master_name=m[&addr=host:port…]   Sentinel (rediss-sentinel:// for TLS)
//	redis-cluster://host:port[?addr=host:port…]     Cluster (rediss-cluster:// for TLS)
//
// with go-redis's query options (dial_timeout, pool_size, …).
func ParseRedisURL(raw string) (RedisTarget, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return RedisTarget{}, fmt.Errorf("%q has no scheme", raw)
	}
	base, mode, _ := strings.Cut(scheme, "-")
	if base != "redis" && base != "rediss" && base != "unix" {
		return RedisTarget{}, fmt.Errorf("%q: unknown scheme %q", raw, scheme)
	}
	u := base + "://" + rest
	var t RedisTarget
	var err error
	switch mode {
	case "":
		t.Single, err = redis.ParseURL(u)
	case "sentinel":
		t.Failover, err = redis.ParseFailoverURL(u)
		if err == nil && t.Failover.MasterName == "" {
			err = fmt.Errorf("sentinel URL needs ?master_name=")
		}
	case "cluster":
		t.Cluster, err = redis.ParseClusterURL(u)
	default:
		err = fmt.Errorf("unknown scheme %q", scheme)
	}
	if err != nil {
		// go-redis and net/url quote the URL in their errors: never let a
		// password through.
		msg := strings.ReplaceAll(err.Error(), rest, "…")
		return RedisTarget{}, fmt.Errorf("%q: %s", redact(raw), msg)
	}
	return t, nil
}

// NewClient returns a client for the target. go-redis connects lazily, so
// this touches no network. Maintenance notifications (a Redis Enterprise
// handshake that other servers refuse with an error on every connection)
// are off unless the URL asks for them.
func (t RedisTarget) NewClient() redis.UniversalClient {
	off := &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	switch {
	case t.Failover != nil:
		return redis.NewFailoverClient(t.Failover)
	case t.Cluster != nil:
		if t.Cluster.MaintNotificationsConfig == nil {
			t.Cluster.MaintNotificationsConfig = off
		}
		return newClusterClient(t.Cluster)
	default:
		if t.Single.MaintNotificationsConfig == nil {
			t.Single.MaintNotificationsConfig = off
		}
		return redis.NewClient(t.Single)
	}
}

// clusterReload is how old the slot map may get while commands run.
// go-redis reloads it on MOVED/ASK and, by default, every 60 s: a master
// that died answers neither, so without this its slots would be dialled in
// vain until the next reload (issue 16: 25–52 s after the cluster elected
// its replica).
const clusterReload = time.Second

// newClusterClient is a cluster client that reloads its slot map every
// clusterReload (when commands run; the gateway's subscription probes run
// four a second) and at once when a node cannot be dialled or drops a
// connection, so that it follows a failover within a reload of the
// cluster's election (docs/redis-ha.md).
func newClusterClient(opts *redis.ClusterOptions) *redis.ClusterClient {
	if opts.ClusterStateReloadInterval == 0 {
		opts.ClusterStateReloadInterval = clusterReload
	}
	// go-redis dials a refusing node 5 times, 100 ms apart, by default: a
	// reload that asks the dead master first would spend half a second on it
	// (up to 2.6 s of recovery measured). A cluster client goes elsewhere on
	// its own; dial once unless the URL says otherwise (dialer_retries).
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1
	}
	c := redis.NewClusterClient(opts)
	c.OnNewNode(func(node *redis.Client) { node.AddHook(reloadOnConnError{c}) })
	return c
}

// reloadOnConnError asks the cluster client to reload its slot map when a
// node's connection fails. ReloadState only schedules a reload: concurrent
// calls coalesce into one every 200 ms at most.
type reloadOnConnError struct{ c *redis.ClusterClient }

func (h reloadOnConnError) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err != nil {
			h.c.ReloadState(ctx)
		}
		return conn, err
	}
}

func (h reloadOnConnError) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.check(ctx, err)
		return err
	}
}

func (h reloadOnConnError) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.check(ctx, err)
		return err
	}
}

// check reloads after a connection-level failure: a refused or reset
// connection, an end of stream, a timeout. Error replies are not: the node
// answered.
func (h reloadOnConnError) check(ctx context.Context, err error) {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		h.c.ReloadState(ctx)
	}
}

// redact hides a password in a Redis URL before it reaches an error message.
func redact(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return raw
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
