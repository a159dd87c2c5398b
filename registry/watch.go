package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// EventHandler receives what Watch hears. Subscribed and Event are called
// from Watch's goroutine only, in order; Reached from any goroutine.
type EventHandler interface {
	// Subscribed reports the subscription proven live (true) or lost
	// (false). Events may have been missed before a true: purge caches.
	// A loss does not mean Redis stopped answering (a failover, a missed
	// message): Reached says that.
	Subscribed(live bool)
	// Event is one change announced on EventsChannel. It must have applied
	// the change when it returns: Watch then acknowledges a key event to
	// every replica (replicas.go).
	Event(e Event)
	// Reached reports whether Redis answered one of Watch's probes
	// (published every ProbeEvery while subscribed, and between attempts
	// to subscribe): the last true is the last contact with Redis.
	Reached(ok bool)
}

// A subscription that reports no error may still hear nothing: after a
// Sentinel failover go-redis moves its command connections to the new
// master but leaves the Pub/Sub connection on the demoted one, where
// nothing is published any more; a partition can hold a connection open
// and silent. So Watch proves its subscription end to end: every ProbeEvery
// it publishes a probe with its own nonce through the command client, the
// way every event is published, and the subscription is live only while a
// probe it published within ProofWindow has come back on it. Every message
// also carries its place in the channel's chain (lua/events.lua): hearing a
// message whose predecessor is not the last one heard means one was missed.
// Either way the subscription counts as lost: the handler hears
// Subscribed(false), Watch subscribes again (a new connection, to the
// current master), and Subscribed(true) follows the first probe heard.
//
// Hence the bound: an event published on the master this replica's client
// talks to is heard, or the replica stops trusting its caches, within
// ProofWindow of its publication (see docs/redis-ha.md). The common case is
// quicker: when the client dials a server other than the one it dialled
// last (go-redis dials the new master after a Sentinel failover), Watch
// resubscribes at once (serverWatch).
const (
	// ProbeEvery is how often Watch publishes a probe.
	ProbeEvery = 250 * time.Millisecond
	// ProofWindow is how old the newest probe heard back may be (counted
	// from its publication) before the subscription counts as lost.
	ProofWindow = time.Second
)

// Watch subscribes to EventsChannel and feeds h until ctx ends. It
// resubscribes on its own; h hears every loss and every recovery. Probe
// timing uses the real clock, not Options.Now: it measures the network.
func (r *Registry) Watch(ctx context.Context, h EventHandler) {
	w := &watcher{r: r, h: h, id: nonce(), acks: make(chan Event, 256)}
	defer w.leave() // after the probes: one in flight would add it again
	defer w.probes.Wait()
	w.probes.Add(1)
	go func() { defer w.probes.Done(); w.sendAcks(ctx) }()
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		why := w.session(ctx)
		if ctx.Err() != nil {
			return
		}
		w.setLive(false)
		r.log.Warn("events subscription lost", "reason", why)
		w.reach(ctx)
		if w.proven { // it worked: try again at once, back off only if it keeps failing
			backoff, w.proven = 50*time.Millisecond, false
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 500*time.Millisecond)
	}
}

// watcher is Watch's state; only Watch's goroutine uses it.
type watcher struct {
	r  *Registry
	h  EventHandler
	id string // this watcher's part of every probe nonce
	n  uint64 // probes published

	live   bool
	proven bool // the last session was live at some point (resets the backoff)

	// Probes are published from their own goroutine, one at a time, so
	// that a slow Redis never delays noticing a lost subscription.
	probes   sync.WaitGroup
	inFlight atomic.Bool
	// reaching is inFlight for reach's probes: a session's probe caught by
	// the fault that ended the session tells only at ProofWindow.
	reaching atomic.Bool
	// acks are the key events applied, to acknowledge (sendAcks).
	acks chan Event
}

func (w *watcher) setLive(v bool) {
	if v != w.live {
		w.live = v
		w.h.Subscribed(v)
	}
}

// session is one subscription: it returns why it ended.
func (w *watcher) session(ctx context.Context) string {
	ps := w.r.client.Subscribe(ctx, w.r.EventsChannel(), w.r.AcksChannel())
	defer ps.Close()
	s := sessionState{started: time.Now(), sent: map[string]time.Time{}}
	server := w.r.server.epoch.Load()
	for {
		wait := s.next(time.Now())
		msg, err := ps.ReceiveTimeout(ctx, wait)
		now := time.Now()
		if err != nil && !isTimeout(err) {
			return "receive: " + err.Error()
		}
		if msg != nil {
			if why := w.handle(&s, msg); why != "" {
				return why
			}
		}
		if why := s.check(now); why != "" {
			return why
		}
		if w.r.server.epoch.Load() != server {
			return "the client now talks to another server (" + w.r.server.addr() + ")"
		}
		if s.subscribed && !now.Before(s.probeAt) {
			w.probe(ctx, &s, now)
		}
	}
}

// sessionState is one subscription's proof.
type sessionState struct {
	started    time.Time
	subscribed bool
	proof      time.Time            // publication time of the newest own probe heard back
	probeAt    time.Time            // when to publish the next probe
	sent       map[string]time.Time // own probes in flight → publication time
	chain      string               // mid of the last linked message heard
}

// next is how long to wait for a message before the next duty.
func (s *sessionState) next(now time.Time) time.Duration {
	if !s.subscribed {
		return max(s.started.Add(ProofWindow).Sub(now), time.Millisecond)
	}
	return max(min(s.probeAt.Sub(now), s.deadline().Sub(now)), time.Millisecond)
}

func (s *sessionState) deadline() time.Time {
	return s.proof.Add(ProofWindow)
}

// check reports why the subscription counts as lost, or "".
func (s *sessionState) check(now time.Time) string {
	if !s.subscribed {
		if now.Sub(s.started) > ProofWindow {
			return fmt.Sprintf("the subscription was not confirmed within %v", ProofWindow)
		}
		return ""
	}
	if now.After(s.deadline()) {
		return fmt.Sprintf("no probe of this replica came back within %v", ProofWindow)
	}
	return ""
}

func (w *watcher) handle(s *sessionState, msg any) string {
	switch m := msg.(type) {
	case *redis.Subscription:
		if m.Kind == "subscribe" && m.Channel == w.r.EventsChannel() && !s.subscribed {
			now := time.Now()
			s.subscribed, s.proof, s.probeAt = true, now, now
		}
	case *redis.Message:
		if m.Channel == w.r.AcksChannel() {
			if err := w.r.acks.heard([]byte(m.Payload)); err != nil {
				w.r.log.Warn("ignored malformed acknowledgement", "err", err)
			}
			return ""
		}
		return w.message(s, []byte(m.Payload))
	}
	return ""
}

// link is what every message carries besides its event (lua/events.lua).
type link struct {
	MID   string `json:"mid"`
	Prev  string `json:"prev"`
	Type  string `json:"type"`
	Nonce string `json:"nonce"`
}

// eventProbe is the type of Watch's own messages; they are not Events.
const eventProbe = "probe"

func (w *watcher) message(s *sessionState, payload []byte) string {
	var l link
	if err := json.Unmarshal(payload, &l); err != nil {
		w.r.log.Warn("ignored malformed event", "err", err)
		return ""
	}
	if l.MID != "" { // messages of a version without the chain carry none
		if s.chain != "" && l.Prev != s.chain {
			return "missed a message (its successor names " + l.Prev + ", the last heard was " + s.chain + ")"
		}
		s.chain = l.MID
	}
	if l.Type == eventProbe {
		if at, ok := s.sent[l.Nonce]; ok {
			delete(s.sent, l.Nonce)
			s.proof = at
			w.proven = true
			w.setLive(true)
		}
		return ""
	}
	e, err := ParseEvent(payload)
	if err != nil {
		w.r.log.Warn("ignored malformed event", "err", err)
		return ""
	}
	w.h.Event(e)
	if e.Type == EventKey {
		w.ack(e)
	}
	return ""
}

// probe publishes one probe in the background; a failure only means no
// proof this time. The probe counts as published now (before it is): its
// proof can only be older than the truth, never younger.
func (w *watcher) probe(ctx context.Context, s *sessionState, now time.Time) {
	s.probeAt = now.Add(ProbeEvery)
	for n, at := range s.sent { // lost probes: their time is past anyway
		if now.Sub(at) > ProofWindow {
			delete(s.sent, n)
		}
	}
	if !w.inFlight.CompareAndSwap(false, true) {
		return // the previous one is still being published
	}
	w.n++
	id := fmt.Sprintf("%s%x", w.id, w.n)
	s.sent[id] = now
	w.probes.Add(1)
	go func() {
		defer w.probes.Done()
		defer w.inFlight.Store(false)
		w.timedProbe(ctx, id, ProofWindow)
	}()
}

// timedProbe publishes probe id and tells the handler whether Redis
// answered within d: on the answer, or at d when none came. go-redis ends
// a blocked call at its own ReadTimeout (and retries it), not at a
// context's deadline, so the deadline is kept by a timer; an answer that
// comes later is told when it comes. It returns when the call ends.
func (w *watcher) timedProbe(ctx context.Context, id string, d time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	late := time.AfterFunc(d, func() { w.h.Reached(false) })
	err := w.publishProbe(ctx, id)
	if late.Stop() || err == nil {
		w.h.Reached(err == nil)
	}
}

// publishProbe runs probe.lua: the probe, and this replica's place among
// the live ones.
func (w *watcher) publishProbe(ctx context.Context, id string) error {
	err := w.r.scripts.probe.Run(ctx, w.r.client, []string{w.r.key("events:last")},
		w.r.prefix, id, w.r.replica, w.r.liveFor.Milliseconds()).Err()
	if err != nil {
		w.r.log.Debug("events probe not published", "err", err)
	}
	return err
}

// reach publishes a probe between subscriptions, when nothing waits for
// it: the handler keeps hearing whether Redis answers (the key cache
// counts an outage from the last answer, and stops asking Redis while it
// does not answer), and the replica stays among the live ones while Redis
// answers it, subscribed or not.
func (w *watcher) reach(ctx context.Context) {
	if !w.reaching.CompareAndSwap(false, true) {
		return // the previous one is still being published: it will tell
	}
	w.probes.Add(1)
	go func() {
		defer w.probes.Done()
		defer w.reaching.Store(false)
		w.timedProbe(ctx, w.id+"-", ProbeEvery)
	}()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// serverWatch notices when a client dials a server other than the one it
// dialled before: after a Sentinel failover go-redis dials the new master
// for commands, while the subscription stays where it was. Safe for
// concurrent use.
type serverWatch struct {
	epoch atomic.Uint64 // bumped on every change of server
	mu    sync.Mutex
	last  string
}

func (s *serverWatch) addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *serverWatch) dialed(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last != "" && s.last != addr {
		s.epoch.Add(1)
	}
	s.last = addr
}

func (s *serverWatch) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err == nil {
			s.dialed(c.RemoteAddr().String())
		}
		return c, err
	}
}

func (s *serverWatch) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (s *serverWatch) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// nonce is 8 random bytes in hex: probes of different replicas never clash.
func nonce() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
