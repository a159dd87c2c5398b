package ledgersim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"reportgate/internal/signature"
)

// Notification is one upstream notification and what became of its
// delivery.
type Notification struct {
	Seq            int       `json:"seq"`
	PayloadType    string    `json:"payload_type"`
	EventType      string    `json:"event_type"`
	ID             int       `json:"id"`
	Queued         time.Time `json:"queued_at"`
	URL            string    `json:"url,omitempty"`
	Status         string    `json:"status"` // one of the Delivery* values
	Attempts       int       `json:"attempts"`
	LastStatusCode int       `json:"last_status_code,omitempty"`
	LastError      string    `json:"last_error,omitempty"`
}

// Delivery outcomes (Notification.Status).
const (
	DeliveryPending   = "pending"    // queued or being retried
	DeliveryDelivered = "delivered"  // the receiver answered 2xx
	DeliveryFailed    = "failed"     // every attempt failed
	DeliveryDropped   = "dropped"    // the queue was full
	DeliveryNoWebhook = "no_webhook" // no webhook was configured
)

const (
	notifyQueueSize    = 256
	notifyLogLimit     = 1000
	notifyAttempts     = 4
	notifyFirstBackoff = 20 * time.Millisecond
	notifyTimeout      = 5 * time.Second
)

// webhook is a delivery target.
type webhook struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

// payload is the notification body: minimal, the receiver fetches the
// object by id.
type payload struct {
	PayloadType string `json:"payload_type"`
	EventType   string `json:"event_type"`
	ID          int    `json:"id"`
}

type delivery struct {
	seq    int
	body   []byte
	target webhook
}

// notifier logs notifications and delivers them, in order, from one
// goroutine fed by a bounded queue. Safe for concurrent use.
type notifier struct {
	now    func() time.Time
	client *http.Client
	queue  chan delivery
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once

	mu      sync.Mutex
	target  webhook
	users   map[string]notificationConfig // by API user, as PUT /notifications/configuration set them
	log     []Notification                // the last notifyLogLimit, by Seq
	seq     int
	changed chan struct{} // closed and replaced on every change of log
}

func newNotifier(now func() time.Time, target webhook) *notifier {
	ctx, cancel := context.WithCancel(context.Background())
	n := &notifier{
		now: now, client: &http.Client{Timeout: notifyTimeout},
		queue: make(chan delivery, notifyQueueSize), cancel: cancel, done: make(chan struct{}),
		target: target, changed: make(chan struct{}), users: map[string]notificationConfig{},
	}
	go n.run(ctx)
	return n
}

// close stops the delivery goroutine; what is still queued stays pending.
func (n *notifier) close() {
	n.once.Do(func() {
		n.cancel()
		<-n.done
	})
}

func (n *notifier) setTarget(w webhook) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.target = w
}

// userConfig returns what user last PUT at /notifications/configuration.
func (n *notifier) userConfig(user string) (notificationConfig, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	cfg, ok := n.users[user]
	return cfg, ok
}

// setUserConfig stores user's configuration and makes target (possibly
// none) where notifications go.
func (n *notifier) setUserConfig(user string, cfg notificationConfig, target webhook) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.users[user] = cfg
	n.target = target
}

// notify logs an event and queues its delivery to the current target.
func (n *notifier) notify(payloadType, eventType string, id int) {
	body, _ := json.Marshal(payload{payloadType, eventType, id})
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seq++
	note := Notification{Seq: n.seq, PayloadType: payloadType, EventType: eventType, ID: id,
		Queued: n.now(), URL: n.target.URL, Status: DeliveryPending}
	if n.target.URL == "" {
		note.Status = DeliveryNoWebhook
	} else {
		select {
		case n.queue <- delivery{n.seq, body, n.target}:
		default:
			note.Status = DeliveryDropped
		}
	}
	n.log = append(n.log, note)
	if len(n.log) > notifyLogLimit {
		n.log = slices.Delete(n.log, 0, len(n.log)-notifyLogLimit)
	}
	n.changedLocked()
}

func (n *notifier) changedLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

func (n *notifier) run(ctx context.Context) {
	defer close(n.done)
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-n.queue:
			n.deliver(ctx, d)
		}
	}
}

// deliver tries a few times with a doubling backoff, signing each attempt
// at the time it is made.
func (n *notifier) deliver(ctx context.Context, d delivery) {
	backoff := notifyFirstBackoff
	for attempt := 1; attempt <= notifyAttempts; attempt++ {
		code, err := n.post(ctx, d)
		final := err == nil || attempt == notifyAttempts || ctx.Err() != nil
		n.update(d.seq, attempt, code, err, final)
		if final {
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff *= 2
	}
}

func (n *notifier) post(ctx context.Context, d delivery) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.target.URL, bytes.NewReader(d.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signature.Header, signature.Sign([]byte(d.target.Secret), n.now(), d.body))
	resp, err := n.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("receiver answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

func (n *notifier) update(seq, attempts, code int, err error, final bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	i, ok := slices.BinarySearchFunc(n.log, seq, func(x Notification, s int) int { return x.Seq - s })
	if !ok {
		return // already rotated out of the log
	}
	note := &n.log[i]
	note.Attempts, note.LastStatusCode, note.LastError = attempts, code, ""
	if err != nil {
		note.LastError = err.Error()
	}
	switch {
	case err == nil:
		note.Status = DeliveryDelivered
	case final:
		note.Status = DeliveryFailed
	}
	n.changedLocked()
}

func (n *notifier) snapshot() ([]Notification, <-chan struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.log), n.changed
}

// wait returns the log as soon as cond holds for it, or ctx's error with
// the last log seen. It never polls: it wakes on each change.
func (n *notifier) wait(ctx context.Context, cond func([]Notification) bool) ([]Notification, error) {
	for {
		log, changed := n.snapshot()
		if cond(log) {
			return log, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return log, ctx.Err()
		}
	}
}
