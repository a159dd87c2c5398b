package config

import (
	"fmt"
	"strings"

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
		return redis.NewClusterClient(t.Cluster)
	default:
		if t.Single.MaintNotificationsConfig == nil {
			t.Single.MaintNotificationsConfig = off
		}
		return redis.NewClient(t.Single)
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
