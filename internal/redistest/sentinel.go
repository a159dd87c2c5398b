package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SentinelMaster is the name under which the sentinels monitor the master.
const SentinelMaster = "rgmaster"

// SentinelDownAfter is the sentinels' down-after-milliseconds: how long a
// killed master goes unanswered before the sentinels start a failover.
const SentinelDownAfter = time.Second

// Sentinel is a Redis Sentinel set-up owned by a test: one master, one
// replica and three sentinels (quorum 2), all on free loopback ports,
// persistence off. Its methods are safe for concurrent use.
type Sentinel struct {
	tb        testing.TB
	nodes     []*proc // data nodes; nodes[0] starts as the master
	sentinels []*proc
}

// StartSentinel starts the set-up and returns once the replica is in sync and
// every sentinel knows the replica and the two other sentinels (so a
// SENTINEL FAILOVER or a kill -9 is acted on at once). tb.Cleanup kills it.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	needRedisServer(tb)
	began := time.Now()
	var err error
	for attempt := 0; attempt < 3; attempt++ { // a free port may be taken in between
		s := &Sentinel{tb: tb}
		if err = s.start(); err == nil {
			tb.Cleanup(s.stop)
			tb.Logf("redistest: sentinel set-up (1 master, 1 replica, 3 sentinels) ready in %v",
				time.Since(began).Round(time.Millisecond))
			return s
		}
		s.stop()
	}
	tb.Fatalf("redistest: start the sentinel set-up: %v", err)
	return nil
}

func (s *Sentinel) start() error {
	ports, err := freePorts(5)
	if err != nil {
		return err
	}
	data := []string{"--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"}
	for i := range 2 {
		args := data
		if i == 1 {
			args = append(slices.Clone(data), "--replicaof", "127.0.0.1", strconv.Itoa(ports[0]))
		}
		s.nodes = append(s.nodes, &proc{name: "node-" + strconv.Itoa(i), dir: s.tb.TempDir(), port: ports[i], args: args})
	}
	ids := make([]string, 3)
	for i := range ids {
		ids[i] = runID()
	}
	for i := range 3 {
		p := &proc{name: "sentinel-" + strconv.Itoa(i), dir: s.tb.TempDir(), port: ports[2+i]}
		conf := filepath.Join(p.dir, "sentinel.conf")
		if err := os.WriteFile(conf, []byte(sentinelConf(ports, ids, i)), 0o600); err != nil {
			return err
		}
		p.args = []string{conf, "--sentinel"}
		s.sentinels = append(s.sentinels, p)
	}
	for _, p := range s.nodes {
		if err := p.start(); err != nil {
			return err
		}
	}
	for _, p := range s.sentinels {
		if err := p.start(); err != nil {
			return err
		}
	}
	return waitFor(10*time.Second, s.settled)
}

// sentinelConf is sentinel i's configuration: it already knows the replica
// and the other sentinels (their ids are fixed here), which saves the 2 s
// hello rounds of discovery.
func sentinelConf(ports []int, ids []string, i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sentinel myid %s\n", ids[i])
	fmt.Fprintf(&b, "sentinel monitor %s 127.0.0.1 %d 2\n", SentinelMaster, ports[0])
	fmt.Fprintf(&b, "sentinel down-after-milliseconds %s %d\n", SentinelMaster, SentinelDownAfter.Milliseconds())
	fmt.Fprintf(&b, "sentinel failover-timeout %s 10000\n", SentinelMaster)
	fmt.Fprintf(&b, "sentinel known-replica %s 127.0.0.1 %d\n", SentinelMaster, ports[1])
	for j := range 3 {
		if j != i {
			fmt.Fprintf(&b, "sentinel known-sentinel %s 127.0.0.1 %d %s\n", SentinelMaster, ports[2+j], ids[j])
		}
	}
	return b.String()
}

func runID() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Sentinel) stop() { killAll(append(slices.Clone(s.nodes), s.sentinels...)) }

// URL is the --redis-url of the set-up: redis-sentinel:// with every
// sentinel's address.
func (s *Sentinel) URL() string {
	u := "redis-sentinel://" + s.sentinels[0].addr() + "?master_name=" + SentinelMaster
	for _, p := range s.sentinels[1:] {
		u += "&addr=" + p.addr()
	}
	return u
}

// MasterAddr is the master every running sentinel names; it fails the test
// when they disagree or cannot answer.
func (s *Sentinel) MasterAddr() string {
	s.tb.Helper()
	addr, err := s.agreedMaster(context.Background())
	if err != nil {
		s.tb.Fatalf("redistest: sentinel master: %v", err)
	}
	return addr
}

func (s *Sentinel) agreedMaster(ctx context.Context) (string, error) {
	var seen []string
	for _, p := range s.sentinels {
		if !p.running() {
			continue
		}
		v, err := p.do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMaster)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p.name, err)
		}
		parts, _ := v.([]any)
		if len(parts) != 2 {
			return "", fmt.Errorf("%s: master address %v", p.name, v)
		}
		seen = append(seen, fmt.Sprint(parts[0])+":"+fmt.Sprint(parts[1]))
	}
	for _, a := range seen[1:] {
		if a != seen[0] {
			return "", fmt.Errorf("sentinels disagree: %v", seen)
		}
	}
	return seen[0], nil
}

// settled reports whether the sentinels agree on a running master that has
// a replica online: the state in which a failover can start. It does not
// wait for the sentinels' links to each other (a sentinel started before
// its peers retries after a second); they are up before a killed master
// could be judged down (SentinelDownAfter). Which replicas a sentinel deems
// eligible follows its own INFO, refreshed every 10 s: Failover asks again
// while it answers NOGOODSLAVE.
func (s *Sentinel) settled(ctx context.Context) (bool, string) {
	master, err := s.agreedMaster(ctx)
	if err != nil {
		return false, err.Error()
	}
	m := s.node(master)
	if m == nil || !m.running() {
		return false, "master " + master + " is not running"
	}
	c := m.client()
	defer c.Close()
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return false, "master INFO: " + err.Error()
	}
	if infoField(info, "role") != "master" || !strings.Contains(infoField(info, "slave0"), "state=online") {
		return false, "master " + master + " has no replica online yet"
	}
	return true, ""
}

func (s *Sentinel) node(addr string) *proc {
	for _, p := range s.nodes {
		if p.addr() == addr {
			return p
		}
	}
	return nil
}

// WaitSettled waits until the set-up is back to one master with a replica
// in sync that every sentinel sees (after a failover the demoted master is
// reconfigured as a replica some 8 s later: the sentinels wait four hello
// periods before they convert it).
func (s *Sentinel) WaitSettled(within time.Duration) {
	s.tb.Helper()
	if err := waitFor(within, s.settled); err != nil {
		s.tb.Fatalf("redistest: sentinel set-up did not settle: %v", err)
	}
}

// Failover runs SENTINEL FAILOVER (a graceful, forced failover: the
// replica is promoted without the master being down) and returns the old
// and new master addresses once every running sentinel names the new one,
// and the time that happened.
func (s *Sentinel) Failover() (old, promoted string, at time.Time) {
	s.tb.Helper()
	old = s.MasterAddr()
	var refused error
	err := waitFor(10*time.Second, func(ctx context.Context) (bool, string) {
		_, refused = s.sentinels[0].do(ctx, "SENTINEL", "FAILOVER", SentinelMaster)
		if refused != nil && (strings.HasPrefix(refused.Error(), "NOGOODSLAVE") || strings.HasPrefix(refused.Error(), "INPROG")) {
			return false, refused.Error() // the replica is not eligible yet: ask again
		}
		return true, ""
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		s.tb.Fatalf("redistest: SENTINEL FAILOVER: %v", err)
	}
	promoted, at = s.WaitNewMaster(old, 15*time.Second)
	return old, promoted, at
}

// KillMaster kills the current master with SIGKILL and returns its address
// and the time of the kill; WaitNewMaster then waits for the sentinels.
func (s *Sentinel) KillMaster() (string, time.Time) {
	s.tb.Helper()
	addr := s.MasterAddr()
	s.node(addr).kill()
	return addr, time.Now()
}

// WaitNewMaster waits until every running sentinel names a master other
// than old, and returns it with the time the sentinels agreed.
func (s *Sentinel) WaitNewMaster(old string, within time.Duration) (string, time.Time) {
	s.tb.Helper()
	var addr string
	err := waitFor(within, func(ctx context.Context) (bool, string) {
		a, err := s.agreedMaster(ctx)
		if err != nil {
			return false, err.Error()
		}
		addr = a
		return a != old, "the sentinels still name " + old
	})
	if err != nil {
		s.tb.Fatalf("redistest: no new master: %v", err)
	}
	return addr, time.Now()
}

// DataAddrs are the data nodes' addresses (master and replica, in start
// order, whatever their roles now).
func (s *Sentinel) DataAddrs() []string {
	return []string{s.nodes[0].addr(), s.nodes[1].addr()}
}

// Role is what ROLE answers on the data node at addr: "master" or "slave",
// or an error when it does not answer.
func (s *Sentinel) Role(addr string) (string, error) {
	p := s.node(addr)
	if p == nil {
		return "", errors.New("redistest: no data node " + addr)
	}
	v, err := p.do(context.Background(), "ROLE")
	if err != nil {
		return "", err
	}
	parts, _ := v.([]any)
	if len(parts) == 0 {
		return "", fmt.Errorf("redistest: ROLE answered %v", v)
	}
	return fmt.Sprint(parts[0]), nil
}
