package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Replicas and acknowledgements (issue 13.3): an admin who suspends a key
// is told whether every gateway replica has applied it.
//
// Live: every replica's probe (watch.go, every ProbeEvery) also writes its
// name into P replicas, scored by Redis's clock plus the replica's
// OutageGrace and ProofWindow: how long the replica may keep serving keys
// it cached if it lost Redis right after that probe. So a replica counts
// as live while it could still be acting on what it cached, cut off from
// Redis or not; one that shuts down cleanly leaves the set at once, one
// that crashes stays in it until that time has passed.
//
// Acknowledged: once a replica's handler has applied a key event
// (EventHandler.Event returned), Watch publishes an acknowledgement naming
// the replica, the key and the generation on P acks. Every replica listens
// on that channel through its subscription and remembers what it heard for
// ackMemory, so any of them can tell which live replicas applied a change.

// AcksChannel is the Pub/Sub channel of acknowledgements of key events.
func (r *Registry) AcksChannel() string { return r.key("acks") }

// Replica is this replica's name (Options.Replica).
func (r *Registry) Replica() string { return r.replica }

// replicaPattern: names are stored in Redis and shown to admins.
var replicaPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// defaultReplicaName is the host name (a pod's name on Kubernetes) and 4
// random hex digits, so that two processes on one host differ.
func defaultReplicaName() string {
	host, _ := os.Hostname()
	host = strings.Trim(strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' {
			return c
		}
		return '-'
	}, host), ".-_")
	if len(host) > 50 {
		host = host[:50]
	}
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	if host == "" {
		return "replica-" + hex.EncodeToString(b)
	}
	return host + "-" + hex.EncodeToString(b)
}

// Event is the invalidation event of the key at its current generation:
// what every replica hears when the change that made k is published.
func (k Key) Event() Event {
	return Event{Type: EventKey, ID: k.ID, Generation: k.Generation, Hash: k.hash}
}

// Applied says which live replicas have applied a key change.
type Applied struct {
	// Live are the live replicas' names, sorted; this replica is one.
	Live []string
	// Confirmed are those of Live that applied the change; Missing the
	// others.
	Confirmed, Missing []string
}

// All reports whether every live replica applied the change.
func (a Applied) All() bool { return len(a.Missing) == 0 && len(a.Live) > 0 }

// LiveReplicas returns the names of the live replicas, this one included,
// sorted.
func (r *Registry) LiveReplicas(ctx context.Context) ([]string, error) {
	v, err := r.scripts.replicas.Run(ctx, r.client, []string{r.key("replicas")}).StringSlice()
	if err != nil {
		err = classify(err, "live replicas")
		r.logFailure("live replicas", err)
		return nil, err
	}
	if !slices.Contains(v, r.replica) { // answering, so live, even before its first probe
		v = append(v, r.replica)
	}
	slices.Sort(v)
	return v, nil
}

// AppliedHere records that this replica applied the key change k (its
// caller evicted k.Event() from its own caches).
func (r *Registry) AppliedHere(k Key) {
	r.acks.add(r.replica, k.ID, k.Generation, time.Now())
}

// WaitApplied waits at most within (or until ctx ends) for every live
// replica to acknowledge generation gen of key id, or a later one, and
// reports which did. 0 does not wait: what was heard so far.
func (r *Registry) WaitApplied(ctx context.Context, id string, gen uint64, within time.Duration) (Applied, error) {
	live, err := r.LiveReplicas(ctx)
	if err != nil {
		return Applied{}, err
	}
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		changed := r.acks.changed()
		a := r.acks.applied(live, id, gen)
		if a.All() || within <= 0 {
			return a, nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return r.acks.applied(live, id, gen), nil
		case <-ctx.Done():
			return a, nil
		}
	}
}

// ack is one acknowledgement on AcksChannel.
type ack struct {
	Replica    string `json:"replica"`
	Key        string `json:"key"`
	Generation uint64 `json:"generation"`
}

// ackMemory is how long an acknowledgement is remembered: long enough for
// the console's page after a suspend to read it, short enough to stay
// small (one entry per key changed within it).
const ackMemory = time.Minute

// ackBook holds the acknowledgements heard, by key. Safe for concurrent
// use; its zero value is ready.
type ackBook struct {
	mu     sync.Mutex
	keys   map[string]*keyAcks
	notify chan struct{} // closed and replaced at every acknowledgement
}

type keyAcks struct {
	gen map[string]uint64 // replica → highest generation applied
	at  time.Time         // last acknowledgement
}

// heard records an acknowledgement received on AcksChannel.
func (b *ackBook) heard(payload []byte) error {
	var a ack
	if err := json.Unmarshal(payload, &a); err != nil {
		return fmt.Errorf("registry: acknowledgement: %w", err)
	}
	if !replicaPattern.MatchString(a.Replica) || !validID(a.Key, keyIDPrefix) || a.Generation == 0 {
		return fmt.Errorf("registry: acknowledgement: malformed: %.200q", payload)
	}
	b.add(a.Replica, a.Key, a.Generation, time.Now())
	return nil
}

func (b *ackBook) add(replica, id string, gen uint64, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.keys == nil {
		b.keys = map[string]*keyAcks{}
	}
	if len(b.keys) > 64 {
		for k, e := range b.keys {
			if now.Sub(e.at) > ackMemory {
				delete(b.keys, k)
			}
		}
	}
	e := b.keys[id]
	if e == nil {
		e = &keyAcks{gen: map[string]uint64{}}
		b.keys[id] = e
	}
	e.gen[replica], e.at = max(e.gen[replica], gen), now
	if b.notify != nil {
		close(b.notify)
		b.notify = nil
	}
}

// changed is closed at the next acknowledgement.
func (b *ackBook) changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.notify == nil {
		b.notify = make(chan struct{})
	}
	return b.notify
}

func (b *ackBook) applied(live []string, id string, gen uint64) Applied {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := Applied{Live: live}
	e := b.keys[id]
	for _, name := range live {
		if e != nil && e.gen[name] >= gen {
			a.Confirmed = append(a.Confirmed, name)
		} else {
			a.Missing = append(a.Missing, name)
		}
	}
	return a
}

// ack records that this replica applied key event e and queues its
// acknowledgement; a full queue (Redis not answering for a while) drops
// it: the change is then reported unconfirmed, the safe side.
func (w *watcher) ack(e Event) {
	w.r.acks.add(w.r.replica, e.ID, e.Generation, time.Now())
	select {
	case w.acks <- e:
	default:
		w.r.log.Warn("key change not acknowledged: too many waiting", "key_id", e.ID, "generation", e.Generation)
	}
}

// sendAcks publishes the queued acknowledgements, one at a time, off the
// subscription's goroutine, until ctx ends.
func (w *watcher) sendAcks(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-w.acks:
			b, _ := json.Marshal(ack{Replica: w.r.replica, Key: e.ID, Generation: e.Generation})
			pctx, cancel := context.WithTimeout(ctx, ProofWindow)
			if err := w.r.client.Publish(pctx, w.r.AcksChannel(), b).Err(); err != nil {
				w.r.log.Debug("acknowledgement not published", "key_id", e.ID, "err", err)
			}
			cancel()
		}
	}
}

// leave takes this replica out of the live set when Watch ends (a clean
// shutdown), so that admins are not told it did not confirm their
// changes.
func (w *watcher) leave() {
	ctx, cancel := context.WithTimeout(context.Background(), ProbeEvery)
	defer cancel()
	if err := w.r.client.ZRem(ctx, w.r.key("replicas"), w.r.replica).Err(); err != nil {
		w.r.log.Debug("not taken out of the live replicas", "err", err)
	}
}
