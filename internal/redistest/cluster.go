package redistest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ClusterNodeTimeout is the nodes' cluster-node-timeout: a killed master
// is judged failed after it, and its replica is elected some 0.5–1.5 s later.
const ClusterNodeTimeout = time.Second

// Cluster is a Redis Cluster owned by a test: three masters with one
// replica each, on free loopback ports (and bus ports), persistence off.
// Its methods are safe for concurrent use.
type Cluster struct {
	tb    testing.TB
	nodes []*proc // nodes[0..2] start as masters, nodes[3+i] replicates nodes[i]
}

// clusterSlots are the masters' slot ranges.
var clusterSlots = [3][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}

// StartCluster starts the nodes, assigns the slots, joins them and waits
// until every node reports the cluster ok with each master's replica in
// sync. tb.Cleanup kills it.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	needRedisServer(tb)
	began := time.Now()
	var err error
	for attempt := 0; attempt < 3; attempt++ { // a free port may be taken in between
		c := &Cluster{tb: tb}
		if err = c.start(); err == nil {
			tb.Cleanup(c.stop)
			tb.Logf("redistest: cluster (3 masters, 3 replicas) ready in %v", time.Since(began).Round(time.Millisecond))
			return c
		}
		c.stop()
	}
	tb.Fatalf("redistest: start the cluster: %v", err)
	return nil
}

func (c *Cluster) stop() { killAll(c.nodes) }

func (c *Cluster) start() error {
	ports, err := freePorts(12) // a port and a cluster bus port per node
	if err != nil {
		return err
	}
	for i := range 6 {
		c.nodes = append(c.nodes, &proc{
			name: "node-" + strconv.Itoa(i), dir: c.tb.TempDir(), port: ports[2*i],
			args: []string{
				"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
				"--cluster-port", strconv.Itoa(ports[2*i+1]),
				"--cluster-node-timeout", strconv.Itoa(int(ClusterNodeTimeout.Milliseconds())),
				// A replica may always be elected, however long its link was down.
				"--cluster-replica-validity-factor", "0",
				"--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0",
				// CLUSTER SLOTS leaves out a replica whose offset is still 0,
				// and with no write the offset only moves with the master's
				// pings to its replicas (every 10 s by default).
				"--repl-ping-replica-period", "1",
			},
		})
	}
	for _, p := range c.nodes {
		if err := p.start(); err != nil {
			return err
		}
	}
	ids, err := c.form(ports)
	if err != nil {
		return err
	}
	ctx := context.Background()
	for i := range 3 {
		if _, err := c.nodes[3+i].do(ctx, "CLUSTER", "REPLICATE", ids[i]); err != nil {
			return fmt.Errorf("%s: CLUSTER REPLICATE: %w", c.nodes[3+i].name, err)
		}
	}
	return waitFor(15*time.Second, c.settled)
}

// form gives each node its config epoch and each master its slots, then
// makes the nodes meet; it returns the node ids once all know each other.
func (c *Cluster) form(ports []int) ([]string, error) {
	ctx := context.Background()
	ids := make([]string, len(c.nodes))
	for i, p := range c.nodes {
		id, err := p.do(ctx, "CLUSTER", "MYID")
		if err != nil {
			return nil, fmt.Errorf("%s: CLUSTER MYID: %w", p.name, err)
		}
		ids[i] = fmt.Sprint(id)
		// Distinct epochs up front, as redis-cli --cluster create does, so
		// that no epoch collision has to be resolved by gossip.
		if _, err := p.do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1); err != nil {
			return nil, fmt.Errorf("%s: CLUSTER SET-CONFIG-EPOCH: %w", p.name, err)
		}
	}
	for i, r := range clusterSlots {
		if _, err := c.nodes[i].do(ctx, "CLUSTER", "ADDSLOTSRANGE", r[0], r[1]); err != nil {
			return nil, fmt.Errorf("%s: CLUSTER ADDSLOTSRANGE: %w", c.nodes[i].name, err)
		}
	}
	for i, p := range c.nodes[1:] {
		if _, err := c.nodes[0].do(ctx, "CLUSTER", "MEET", "127.0.0.1", p.port, ports[2*(i+1)+1]); err != nil {
			return nil, fmt.Errorf("CLUSTER MEET %s: %w", p.name, err)
		}
	}
	err := waitFor(10*time.Second, func(ctx context.Context) (bool, string) {
		for _, p := range c.nodes {
			v, err := p.do(ctx, "CLUSTER", "NODES")
			if err != nil {
				return false, p.name + ": " + err.Error()
			}
			lines := strings.Split(strings.TrimSpace(fmt.Sprint(v)), "\n")
			if len(lines) != len(c.nodes) || strings.Contains(fmt.Sprint(v), "handshake") {
				return false, p.name + " knows " + strconv.Itoa(len(lines)) + " nodes"
			}
		}
		return true, ""
	})
	return ids, err
}

// URL is the --redis-url of the cluster: redis-cluster:// with every
// node's address as a seed.
func (c *Cluster) URL() string {
	u := "redis-cluster://" + c.nodes[0].addr()
	for i, p := range c.nodes[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += sep + "addr=" + p.addr()
	}
	return u
}

// Addrs are the nodes' addresses in start order (masters first).
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, p := range c.nodes {
		out[i] = p.addr()
	}
	return out
}

// shard is one slot range as a node sees it.
type shard struct {
	from, to int
	master   string
	replicas []string
}

// slots is CLUSTER SLOTS as node p answers it: the map go-redis's cluster
// client loads, so the view clients get.
func slots(ctx context.Context, p *proc) ([]shard, error) {
	v, err := p.do(ctx, "CLUSTER", "SLOTS")
	if err != nil {
		return nil, err
	}
	ranges, _ := v.([]any)
	out := make([]shard, 0, len(ranges))
	for _, r := range ranges {
		parts, _ := r.([]any)
		if len(parts) < 3 {
			return nil, fmt.Errorf("CLUSTER SLOTS entry %v", r)
		}
		from, _ := parts[0].(int64)
		to, _ := parts[1].(int64)
		s := shard{from: int(from), to: int(to)}
		for i, n := range parts[2:] {
			node, _ := n.([]any)
			if len(node) < 2 {
				return nil, fmt.Errorf("CLUSTER SLOTS node %v", n)
			}
			addr := fmt.Sprintf("%v:%v", node[0], node[1])
			if i == 0 {
				s.master = addr
			} else {
				s.replicas = append(s.replicas, addr)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// settled reports whether every running node says cluster_state:ok and
// serves each range with a running master and a replica online.
func (c *Cluster) settled(ctx context.Context) (bool, string) {
	for _, p := range c.live() {
		info, err := p.do(ctx, "CLUSTER", "INFO")
		if err != nil {
			return false, p.name + ": " + err.Error()
		}
		if !strings.Contains(fmt.Sprint(info), "cluster_state:ok") {
			return false, p.name + " says the cluster is not ok"
		}
		shards, err := slots(ctx, p)
		if err != nil {
			return false, p.name + ": " + err.Error()
		}
		if len(shards) != 3 {
			return false, fmt.Sprintf("%s serves %d ranges", p.name, len(shards))
		}
		for _, s := range shards {
			if m := c.node(s.master); m == nil || !m.running() || len(s.replicas) == 0 {
				return false, fmt.Sprintf("%s: slots %d-%d: master %s, replicas %v", p.name, s.from, s.to, s.master, s.replicas)
			}
		}
	}
	for _, p := range c.live() {
		if ok, why := replicaInSync(ctx, p); !ok {
			return false, why
		}
	}
	return true, ""
}

// replicaInSync is true for a master, and for a replica whose link is up.
func replicaInSync(ctx context.Context, p *proc) (bool, string) {
	cl := p.client()
	defer cl.Close()
	info, err := cl.Info(ctx, "replication").Result()
	if err != nil {
		return false, p.name + ": " + err.Error()
	}
	if infoField(info, "role") == "slave" && infoField(info, "master_link_status") != "up" {
		return false, p.name + ": replica link down"
	}
	return true, ""
}

func (c *Cluster) live() []*proc {
	var out []*proc
	for _, p := range c.nodes {
		if p.running() {
			out = append(out, p)
		}
	}
	return out
}

func (c *Cluster) node(addr string) *proc {
	for _, p := range c.nodes {
		if p.addr() == addr {
			return p
		}
	}
	return nil
}

// WaitSettled waits until the cluster is ok again with a replica for every
// master (after a kill, the killed node must be restarted for that).
func (c *Cluster) WaitSettled(within time.Duration) {
	c.tb.Helper()
	if err := waitFor(within, c.settled); err != nil {
		c.tb.Fatalf("redistest: cluster did not settle: %v", err)
	}
}

// Slot is the hash slot of key (CLUSTER KEYSLOT).
func (c *Cluster) Slot(key string) int {
	c.tb.Helper()
	v, err := c.live()[0].do(context.Background(), "CLUSTER", "KEYSLOT", key)
	if err != nil {
		c.tb.Fatalf("redistest: CLUSTER KEYSLOT: %v", err)
	}
	n, _ := v.(int64)
	return int(n)
}

// MasterOf is the master of slot as every running node names it, with
// that master's replicas; it fails the test when they disagree.
func (c *Cluster) MasterOf(slot int) (master string, replicas []string) {
	c.tb.Helper()
	s, err := c.agreedShard(context.Background(), slot)
	if err != nil {
		c.tb.Fatalf("redistest: master of slot %d: %v", slot, err)
	}
	return s.master, s.replicas
}

func (c *Cluster) agreedShard(ctx context.Context, slot int) (shard, error) {
	var seen []shard
	for _, p := range c.live() {
		shards, err := slots(ctx, p)
		if err != nil {
			return shard{}, fmt.Errorf("%s: %w", p.name, err)
		}
		i := slices.IndexFunc(shards, func(s shard) bool { return s.from <= slot && slot <= s.to })
		if i < 0 {
			return shard{}, fmt.Errorf("%s serves no slot %d", p.name, slot)
		}
		seen = append(seen, shards[i])
	}
	for _, s := range seen[1:] {
		if s.master != seen[0].master {
			return shard{}, fmt.Errorf("nodes disagree on slot %d: %s and %s", slot, seen[0].master, s.master)
		}
	}
	return seen[0], nil
}

// Kill kills the node at addr with SIGKILL and returns the time.
func (c *Cluster) Kill(addr string) time.Time {
	c.tb.Helper()
	p := c.node(addr)
	if p == nil {
		c.tb.Fatalf("redistest: no cluster node %s", addr)
	}
	p.kill()
	return time.Now()
}

// Restart starts a killed node again on its port; it rejoins the cluster
// (its nodes.conf is kept) as a replica of whoever took its slots.
func (c *Cluster) Restart(addr string) {
	c.tb.Helper()
	if err := c.node(addr).start(); err != nil {
		c.tb.Fatalf("redistest: restart %s: %v", addr, err)
	}
}

// Failover runs CLUSTER FAILOVER (graceful: the master hands over after its
// replica caught up) on a replica of slot's master and waits for the
// promotion; it returns the old and new masters and when the new one took
// over.
func (c *Cluster) Failover(slot int) (old, promoted string, at time.Time) {
	c.tb.Helper()
	old, replicas := c.MasterOf(slot)
	if len(replicas) == 0 {
		c.tb.Fatalf("redistest: slot %d's master %s has no replica", slot, old)
	}
	if _, err := c.node(replicas[0]).do(context.Background(), "CLUSTER", "FAILOVER"); err != nil {
		c.tb.Fatalf("redistest: CLUSTER FAILOVER on %s: %v", replicas[0], err)
	}
	promoted, at = c.WaitNewMaster(slot, old, 15*time.Second)
	return old, promoted, at
}

// WaitNewMaster waits until slot is served by a master other than old and
// every running node agrees. It returns that master and the first time it
// answered as master of the slot itself, which is when the cluster
// recovered: clients can be measured against it.
func (c *Cluster) WaitNewMaster(slot int, old string, within time.Duration) (string, time.Time) {
	c.tb.Helper()
	var promoted string
	var at time.Time
	err := waitFor(within, func(ctx context.Context) (bool, string) {
		if at.IsZero() {
			promoted, at = c.selfPromoted(ctx, slot, old)
		}
		s, err := c.agreedShard(ctx, slot)
		if err != nil {
			return false, err.Error()
		}
		return !at.IsZero() && s.master == promoted, "slot still served by " + s.master
	})
	if err != nil {
		c.tb.Fatalf("redistest: slot %d: no new master: %v", slot, err)
	}
	return promoted, at
}

// selfPromoted returns a running node other than old that serves slot as
// its master according to itself, and now; or "" and the zero time.
func (c *Cluster) selfPromoted(ctx context.Context, slot int, old string) (string, time.Time) {
	for _, p := range c.live() {
		if p.addr() == old {
			continue
		}
		shards, err := slots(ctx, p)
		if err != nil {
			continue
		}
		for _, s := range shards {
			if s.from <= slot && slot <= s.to && s.master == p.addr() {
				return p.addr(), time.Now()
			}
		}
	}
	return "", time.Time{}
}
