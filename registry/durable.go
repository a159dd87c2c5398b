package registry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis replicates asynchronously: a master answers a write before any
// replica has it, and a failover promotes a replica that may lack the last
// writes. An admin action (a script in Registry.actions) is therefore
// acknowledged only once a replica confirmed it (WAIT 1) whenever the master
// that ran it has, or recently had, a replica. Which master ran it is known
// by its replication id (INFO replication, on the connection that ran the
// script): a replica promoted by a failover starts a new one, while a
// demoted master that has not heard of its demotion yet keeps its own.
//
//   - A master with a connected replica: WAIT.
//   - A master without one that had one within replicaMemory: WAIT as well
//     (it times out): this is the old master of a Sentinel failover, whose
//     replica has just been promoted and which still accepts writes that the
//     failover will discard.
//   - A master that never had a replica in that time (a lone Redis, or a
//     replica just promoted by a failover and whose own replica is gone or
//     not resynced yet): no WAIT; the action is as durable as that master.
//
// When WAIT times out the caller gets ErrUnavailable: the change may or may
// not persist, and it must read the state back before retrying.

// replicaMemory is how long a master that had a connected replica still
// counts as replicated after its last replica left: longer than a Sentinel
// failover takes to reach every client (+switch-master) and to demote the
// old master (the sentinels wait 8 s, then convert it on their next INFO).
const replicaMemory = 30 * time.Second

// defaultReplicaWait is Options.ReplicaWait's default.
const defaultReplicaWait = time.Second

// ErrNotReplicated: the master applied the change but no replica
// confirmed it in time; it may or may not persist. It is an ErrUnavailable
// (503: read the state back before retrying), except for a reveal, whose
// secret is answered with it rather than lost (Reveal).
var ErrNotReplicated = errors.New("registry: no replica confirmed the change in time: " +
	"it may or may not persist; read the state back before retrying")

// Durability is what the master serving the workspace last said about
// keeping its data (INFO replication and persistence).
type Durability struct {
	// Checked is when it answered; zero before the first answer.
	Checked time.Time
	// Role is "master", or "slave" while a client still talks to a
	// demoted master.
	Role string
	// ReplID is the master's replication id (master_replid).
	ReplID string
	// Replicas is the number of connected replicas.
	Replicas int
	// AOF is whether the master keeps an append-only file (aof_enabled).
	AOF bool
	// Refused is set when the server refused INFO (an embedded or
	// restricted server): nothing above is known.
	Refused string
}

// Safe reports whether the data outlives a restart of the master: it is
// written to an append-only file or held by a replica.
func (d Durability) Safe() bool { return d.AOF || d.Replicas > 0 }

// String says whether the registry outlives a Redis restart, for an
// operator: readiness shows it, start-up logs it.
func (d Durability) String() string {
	switch {
	case d.Checked.IsZero():
		return "unknown: not checked yet"
	case d.Refused != "":
		return "unknown: Redis refused INFO; the registry needs AOF or a replica"
	case d.AOF:
		return "ok: append-only file"
	case d.Replicas > 0:
		return fmt.Sprintf("ok: %d replica(s), no append-only file", d.Replicas)
	}
	return "warning: no append-only file and no replica: a Redis restart forgets every key, admin and audit entry"
}

// replication is the registry's memory of masters and of what it
// acknowledged. Safe for concurrent use.
type replication struct {
	mu   sync.Mutex
	seen map[string]time.Time // replication id → last time it had a replica
	last Durability

	// The audit entries acknowledged actions appended: the highest, and the
	// recent ones by sequence number, to notice a number reused by another
	// entry (the log lost its tail and went on). Once a loss is noticed,
	// the highest stays frozen at the lost entry so that VerifyAudit keeps
	// reporting it.
	ackedSeq  uint64
	ackedHash string
	ackedAt   time.Time
	recent    map[uint64]string
	lost      bool
}

// recentAcks is how many acknowledged entries are remembered by number.
const recentAcks = 256

// observe records what a master said and reports whether a change it ran
// must wait for a replica.
func (m *replication) observe(d Durability) (wait bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]time.Time{}
	}
	now := time.Now() // the network's time, not Options.Now: replicas come and go in real time
	for id, at := range m.seen {
		if now.Sub(at) > replicaMemory {
			delete(m.seen, id)
		}
	}
	if d.Refused != "" {
		return false
	}
	if d.Replicas > 0 {
		m.seen[d.ReplID] = now
	}
	_, had := m.seen[d.ReplID]
	return had
}

func (m *replication) setLast(d Durability) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = d
}

// acknowledged records the audit entry ("<seq> <hash>") an acknowledged
// action appended; it reports whether this reveals that acknowledged entries
// were lost.
func (m *replication) acknowledged(head string) (lost bool) {
	seqStr, hash, ok := strings.Cut(head, " ")
	seq, err := strconv.ParseUint(seqStr, 10, 64)
	if !ok || err != nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lost {
		return false
	}
	if h, ok := m.recent[seq]; ok && h != hash {
		m.lost = true
		return true
	}
	if m.recent == nil {
		m.recent = map[uint64]string{}
	}
	m.recent[seq] = hash
	if seq > recentAcks {
		delete(m.recent, seq-recentAcks)
	}
	if seq > m.ackedSeq {
		m.ackedSeq, m.ackedHash, m.ackedAt = seq, hash, time.Now()
	}
	return false
}

// headBehind records a head pointer below the highest acknowledged entry;
// it reports whether the loss is news.
func (m *replication) headBehind(headSeq uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lost || headSeq >= m.ackedSeq {
		return false
	}
	m.lost = true
	return true
}

func (m *replication) acked() (uint64, string, time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ackedSeq, m.ackedHash, m.ackedAt
}

// runDurable runs an admin action on one connection to the workspace's
// master, then asks that master (same connection) about its replicas and
// waits for one when it must. WAIT counts what this connection wrote.
func (r *Registry) runDurable(ctx context.Context, s *redis.Script, keys []string, argv []any) (any, error) {
	conn, err := r.masterConn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	v, err := s.Run(ctx, conn, keys, argv...).Result()
	if err != nil {
		r.reloadOnRedirect(ctx, err)
		return nil, err
	}
	// From here on the change is applied: an error comes with its result.
	d, err := durability(ctx, conn)
	if err != nil {
		return v, fmt.Errorf("%w (INFO after the change: %w)", ErrNotReplicated, err)
	}
	if !r.repl.observe(d) {
		return v, nil
	}
	n, err := conn.Wait(ctx, 1, r.replicaWait).Result()
	if err != nil {
		return v, fmt.Errorf("%w (WAIT: %w)", ErrNotReplicated, err)
	}
	if n < 1 {
		r.log.Warn("registry: change not confirmed by a replica", "wait", r.replicaWait, "replicas", d.Replicas)
		return v, ErrNotReplicated
	}
	return v, nil
}

// masterConn is a connection to the master serving the workspace. On
// Cluster it is the master of the workspace's slot as the client's slot map
// says: a MOVED answer fails the action (ErrUnavailable) and reloads the map.
func (r *Registry) masterConn(ctx context.Context) (*redis.Conn, error) {
	node, err := r.masterClient(ctx)
	if err != nil {
		return nil, err
	}
	return node.Conn(), nil
}

func (r *Registry) masterClient(ctx context.Context) (*redis.Client, error) {
	switch c := r.client.(type) {
	case *redis.Client:
		return c, nil
	case *redis.ClusterClient:
		node, err := c.MasterForKey(ctx, r.key("audit"))
		if err != nil {
			c.ReloadState(ctx)
			return nil, err
		}
		return node, nil
	}
	return nil, fmt.Errorf("registry: unsupported redis client %T", r.client)
}

// reloadOnRedirect reloads a cluster client's slot map when the node said
// the slot moved (the action did not run: the caller gets ErrUnavailable
// and may retry once the map is reloaded, within the config's reload).
func (r *Registry) reloadOnRedirect(ctx context.Context, err error) {
	c, ok := r.client.(*redis.ClusterClient)
	var re redis.Error
	if !ok || !errors.As(err, &re) {
		return
	}
	switch code, _, _ := strings.Cut(re.Error(), " "); code {
	case "MOVED", "ASK", "CLUSTERDOWN", "TRYAGAIN":
		c.ReloadState(ctx)
	}
}

// durability asks one connection's server INFO replication and persistence
// (two commands: INFO takes one section before Redis 7). A refusal (an error
// reply) is a result, not an error.
func durability(ctx context.Context, c redis.Cmdable) (Durability, error) {
	d := Durability{Checked: time.Now()}
	repl, err := c.Info(ctx, "replication").Result()
	if err == nil {
		var pers string
		if pers, err = c.Info(ctx, "persistence").Result(); err == nil {
			repl += "\n" + pers
		}
	}
	var refused redis.Error
	switch {
	case errors.As(err, &refused):
		d.Refused = refused.Error()
		return d, nil
	case err != nil:
		return Durability{}, err
	}
	f := infoFields(repl)
	d.Role, d.ReplID, d.AOF = f["role"], f["master_replid"], f["aof_enabled"] == "1"
	d.Replicas, _ = strconv.Atoi(f["connected_slaves"])
	return d, nil
}

func infoFields(info string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			out[k] = v
		}
	}
	return out
}

// Durability is what the master serving the workspace said at the last
// check of TrackDurability (the zero value before any).
func (r *Registry) Durability() Durability {
	r.repl.mu.Lock()
	defer r.repl.mu.Unlock()
	return r.repl.last
}

// TrackDurability asks the workspace's master every interval what replicas
// it has and whether it keeps an append-only file (so that the registry
// knows a master had replicas before a failover takes them away, see
// runDurable), and checks that the audit log still holds the last entry this
// process acknowledged. It returns when ctx ends; onChange, when not nil,
// hears every change of Durability.Safe and of the refusal, and the first
// answer.
func (r *Registry) TrackDurability(ctx context.Context, interval time.Duration, onChange func(Durability)) {
	var prev *Durability
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if d, ok := r.checkDurability(ctx); ok {
			if onChange != nil && (prev == nil || prev.Safe() != d.Safe() || prev.Refused != d.Refused) {
				onChange(d)
			}
			prev = &d
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Registry) checkDurability(ctx context.Context) (Durability, bool) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	node, err := r.masterClient(ctx)
	if err != nil {
		return Durability{}, false
	}
	d, err := durability(ctx, node)
	if err != nil {
		return Durability{}, false
	}
	r.repl.observe(d)
	r.repl.setLast(d)
	r.checkAcknowledged(ctx)
	return d, true
}

// checkAcknowledged notices a head pointer behind the last entry this
// process acknowledged: acknowledged actions were lost (a failover to a
// replica that lacked them, or a restart without them).
func (r *Registry) checkAcknowledged(ctx context.Context) {
	if seq, _, _ := r.repl.acked(); seq == 0 {
		return
	}
	head, _, err := r.auditHead(ctx)
	if err == nil && r.repl.headBehind(head.HeadSeq) {
		r.logLost(fmt.Sprintf("the log's head is entry %d", head.HeadSeq))
	}
}

// logLost reports acknowledged audit entries lost; VerifyAudit reports them
// too, for as long as the process runs.
func (r *Registry) logLost(how string) {
	seq, hash, at := r.repl.acked()
	r.log.Error("registry: the audit log lost entries this replica acknowledged", "how", how,
		"acknowledged_seq", seq, "acknowledged_hash", hash, "acknowledged_at", at)
}
