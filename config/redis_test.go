package config

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestClusterReloadInterval: a Cluster client reloads its slot map every
// second (go-redis's default is a minute) and dials a node once (not five
// times): TestClusterMasterKilled in internal/gateway measures the recovery.
func TestClusterReloadInterval(t *testing.T) {
	t.Parallel()
	target, err := ParseRedisURL("redis-cluster://127.0.0.1:7000?addr=127.0.0.1:7001")
	if err != nil {
		t.Fatal(err)
	}
	c, ok := target.NewClient().(*redis.ClusterClient)
	if !ok {
		t.Fatalf("NewClient gave %T, want a cluster client", c)
	}
	defer c.Close()
	if got := c.Options().ClusterStateReloadInterval; got != time.Second {
		t.Fatalf("slot map reloaded every %v, want 1s", got)
	}
	if got := c.Options().DialerRetries; got != 1 {
		t.Fatalf("a node is dialled %d times, want once", got)
	}
}
