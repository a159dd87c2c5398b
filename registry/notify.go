package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Notification storage (docs/design.md §8). Upstream events enter a stream read by a
// consumer group, so an event taken by a replica that dies is claimed by
// another; each event becomes one delivery job per partner whose scope
// covers it; jobs wait in a sorted set scored by their next attempt time,
// and a claim pushes that score one lease ahead, so a job whose deliverer
// died comes back by itself. Nothing is deleted before it was delivered or
// dead-lettered: at least once.
//
//	P notify:webhooks   hash   key id → partner webhook JSON {url, sealed_secret} (notify_seal.go)
//	P notify:events     stream upstream events, group "fanout"
//	P notify:jobs       zset   job id → next attempt (unix ms)
//	P notify:job:<id>   string the job's JSON {job, sealed_secret}
//	P notify:dead       stream jobs given up after the last attempt
//	P notify:seen:<id>  string a verified upstream notification (replay guard)

// Webhook is a partner's delivery configuration, set with its reporting key
// at PUT /notifications/configuration. The secret signs deliveries: it has
// to be kept (an HMAC key cannot be hashed), so it is stored sealed
// (notify_seal.go), and it is never returned.
type Webhook struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

// NotifyEvent is one upstream notification, as the upstream sends it.
type NotifyEvent struct {
	PayloadType string `json:"payload_type"`
	EventType   string `json:"event_type"`
	ID          int64  `json:"id"`
}

// Job is one delivery to one receiver, without its secret (as the admin API
// shows dead letters).
type Job struct {
	ID      string    `json:"id"`
	KeyID   string    `json:"key_id,omitempty"` // "" for an approver notification
	URL     string    `json:"url"`
	Body    string    `json:"body"` // exactly what is signed and sent
	Attempt int       `json:"attempt"`
	Created time.Time `json:"created"`
	LastErr string    `json:"last_error,omitempty"`
}

// Delivery is a job with the secret that signs it; the queue stores the
// secret sealed.
type Delivery struct {
	Job    Job    `json:"job"`
	Secret string `json:"secret"`
}

const fanoutGroup = "fanout"

func (r *Registry) webhooksKey() string { return r.key("notify:webhooks") }
func (r *Registry) eventsKey() string   { return r.key("notify:events") }
func (r *Registry) jobsKey() string     { return r.key("notify:jobs") }
func (r *Registry) jobKey(id string) string {
	return r.key("notify:job:" + id)
}
func (r *Registry) deadKey() string { return r.key("notify:dead") }

// PutWebhook sets keyID's webhook, its secret sealed; ErrNoSealKey without
// a seal key.
func (r *Registry) PutWebhook(ctx context.Context, keyID string, w Webhook) error {
	if !validID(keyID, keyIDPrefix) {
		return invalidf("key id %q is malformed", keyID)
	}
	b, err := r.sealWebhook(keyID, w)
	if err != nil {
		return err
	}
	return classify(r.client.HSet(ctx, r.webhooksKey(), keyID, b).Err(), "put webhook")
}

// GetWebhook returns keyID's webhook without its secret (write-only:
// only delivery reads it, through Webhooks), or ErrNotFound.
func (r *Registry) GetWebhook(ctx context.Context, keyID string) (Webhook, error) {
	b, err := r.client.HGet(ctx, r.webhooksKey(), keyID).Bytes()
	if err != nil {
		return Webhook{}, classify(err, "no webhook for this key")
	}
	var sw storedWebhook
	if err := json.Unmarshal(b, &sw); err != nil {
		return Webhook{}, fmt.Errorf("registry: webhook of %s: %w", keyID, err)
	}
	return Webhook{URL: sw.URL}, nil
}

// DeleteWebhook removes keyID's webhook; ErrNotFound if it had none.
func (r *Registry) DeleteWebhook(ctx context.Context, keyID string) error {
	n, err := r.client.HDel(ctx, r.webhooksKey(), keyID).Result()
	if err != nil {
		return classify(err, "delete webhook")
	}
	if n == 0 {
		return notFoundf("no webhook for this key")
	}
	return nil
}

// Webhooks returns every partner webhook by key id, with its secret. A
// webhook whose secret cannot be opened (no seal key, a key dropped too
// early) is left out with a warning: it could not sign a delivery.
func (r *Registry) Webhooks(ctx context.Context) (map[string]Webhook, error) {
	m, err := r.client.HGetAll(ctx, r.webhooksKey()).Result()
	if err != nil {
		return nil, classify(err, "list webhooks")
	}
	out := make(map[string]Webhook, len(m))
	for id, b := range m {
		w, err := r.openWebhook(id, []byte(b))
		if err != nil {
			r.log.Warn("partner webhook skipped", "key_id", id, "err", err)
			continue
		}
		out[id] = w
	}
	return out, nil
}

// SeenSignature records a verified upstream notification for ttl and
// reports whether it had been seen already (a replay), across replicas. id
// identifies what was signed (signature.ReplayKey), never the header's text,
// which has many spellings.
func (r *Registry) SeenSignature(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	ok, err := r.client.SetNX(ctx, r.key("notify:seen:"+id), 1, ttl).Result()
	if err != nil {
		return false, classify(err, "replay guard")
	}
	return !ok, nil
}

// AppendEvent queues an upstream event for fan-out.
func (r *Registry) AppendEvent(ctx context.Context, e NotifyEvent) error {
	b, _ := json.Marshal(e)
	err := r.client.XAdd(ctx, &redis.XAddArgs{Stream: r.eventsKey(), Values: []any{"event", b}}).Err()
	return classify(err, "append event")
}

// StreamEvent is an event read from the stream, to acknowledge once its
// jobs are queued.
type StreamEvent struct {
	StreamID string
	Event    NotifyEvent
}

// ReadEvents returns up to n events for consumer: first those another
// consumer took and left unacknowledged for longer than stale (it died),
// then new ones, waiting at most block for them.
func (r *Registry) ReadEvents(ctx context.Context, consumer string, n int, stale, block time.Duration) ([]StreamEvent, error) {
	if !r.groupReady.Load() {
		err := r.client.XGroupCreateMkStream(ctx, r.eventsKey(), fanoutGroup, "0").Err()
		if err != nil && !isRedisError(err, "BUSYGROUP") {
			return nil, classify(err, "event group")
		}
		r.groupReady.Store(true)
	}
	msgs, _, err := r.client.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: r.eventsKey(), Group: fanoutGroup,
		Consumer: consumer, MinIdle: stale, Start: "0-0", Count: int64(n)}).Result()
	if isRedisError(err, "NOGROUP") { // Redis lost its data: recreate the group
		r.groupReady.Store(false)
	}
	if err != nil {
		return nil, classify(err, "claim events")
	}
	if len(msgs) == 0 {
		res, err := r.client.XReadGroup(ctx, &redis.XReadGroupArgs{Group: fanoutGroup, Consumer: consumer,
			Streams: []string{r.eventsKey(), ">"}, Count: int64(n), Block: block}).Result()
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		if err != nil {
			return nil, classify(err, "read events")
		}
		for _, s := range res {
			msgs = append(msgs, s.Messages...)
		}
	}
	out := make([]StreamEvent, 0, len(msgs))
	for _, m := range msgs {
		var e NotifyEvent
		s, _ := m.Values["event"].(string)
		if json.Unmarshal([]byte(s), &e) != nil {
			r.log.Warn("dropped malformed notification event", "stream_id", m.ID)
		}
		out = append(out, StreamEvent{StreamID: m.ID, Event: e})
	}
	return out, nil
}

func isRedisError(err error, code string) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.HasPrefix(re.Error(), code)
}

// QueueJobs stores deliveries due now and acknowledges the event they came
// from (streamID, or "" for none), in one transaction: an event is
// acknowledged only with its jobs queued.
func (r *Registry) QueueJobs(ctx context.Context, streamID string, ds []Delivery) error {
	now := r.now()
	sealed, err := r.sealedAll(ds)
	if err != nil {
		return err
	}
	_, err = r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range ds {
			p.Set(ctx, r.jobKey(d.Job.ID), sealed[i], 0)
			p.ZAdd(ctx, r.jobsKey(), redis.Z{Score: float64(now.UnixMilli()), Member: d.Job.ID})
		}
		if streamID != "" {
			p.XAck(ctx, r.eventsKey(), fanoutGroup, streamID)
			p.XDel(ctx, r.eventsKey(), streamID)
		}
		return nil
	})
	return classify(err, "queue jobs")
}

// ClaimJobs returns up to n jobs due by now, each leased for lease: a job
// not completed or rescheduled by then is due again.
func (r *Registry) ClaimJobs(ctx context.Context, n int, lease time.Duration) ([]Delivery, error) {
	now := r.now()
	keys := []string{r.jobsKey()}
	ids, err := r.scripts.claimJobs.Run(ctx, r.client, keys, now.UnixMilli(), now.Add(lease).UnixMilli(), n).StringSlice()
	if err != nil {
		return nil, classify(err, "claim jobs")
	}
	var out []Delivery
	for _, id := range ids {
		b, err := r.client.Get(ctx, r.jobKey(id)).Bytes()
		if errors.Is(err, redis.Nil) {
			r.client.ZRem(ctx, r.jobsKey(), id) // completed by a racing replica
			continue
		}
		if err != nil {
			return nil, classify(err, "read job")
		}
		d, err := r.openDelivery(b)
		if errors.Is(err, errMalformedJob) {
			r.log.Warn("dropped malformed job", "job_id", id)
			r.client.ZRem(ctx, r.jobsKey(), id)
			continue
		}
		if err != nil {
			r.deadUnopenable(ctx, d, err)
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// CompleteJob forgets a delivered job.
func (r *Registry) CompleteJob(ctx context.Context, id string) error {
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, r.jobsKey(), id)
		p.Del(ctx, r.jobKey(id))
		return nil
	})
	return classify(err, "complete job")
}

// RetryJob records a failed attempt and schedules the next at `at` (the
// secret sealed again, under the current key).
func (r *Registry) RetryJob(ctx context.Context, d Delivery, at time.Time) error {
	b, err := r.sealDelivery(d)
	if err != nil {
		return err
	}
	_, err = r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, r.jobKey(d.Job.ID), b, 0)
		p.ZAdd(ctx, r.jobsKey(), redis.Z{Score: float64(at.UnixMilli()), Member: d.Job.ID})
		return nil
	})
	return classify(err, "retry job")
}

// DeadLetter gives a job up: it leaves the queue for the dead-letter stream
// (without its secret), readable through the admin API.
func (r *Registry) DeadLetter(ctx context.Context, j Job) error {
	b, _ := json.Marshal(j)
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAdd(ctx, &redis.XAddArgs{Stream: r.deadKey(), MaxLen: 10000, Approx: true, Values: []any{"job", b}})
		p.ZRem(ctx, r.jobsKey(), j.ID)
		p.Del(ctx, r.jobKey(j.ID))
		return nil
	})
	return classify(err, "dead letter")
}

// DeadLetters returns the last n given-up jobs, newest first.
func (r *Registry) DeadLetters(ctx context.Context, n int) ([]Job, error) {
	msgs, err := r.client.XRevRangeN(ctx, r.deadKey(), "+", "-", int64(n)).Result()
	if err != nil {
		return nil, classify(err, "dead letters")
	}
	out := make([]Job, 0, len(msgs))
	for _, m := range msgs {
		var j Job
		if s, _ := m.Values["job"].(string); json.Unmarshal([]byte(s), &j) == nil {
			out = append(out, j)
		}
	}
	return out, nil
}

// QueueDepth is the number of jobs waiting or in flight, and of events not
// yet fanned out.
func (r *Registry) QueueDepth(ctx context.Context) (jobs, events int64, err error) {
	jobs, err = r.client.ZCard(ctx, r.jobsKey()).Result()
	if err != nil {
		return 0, 0, classify(err, "queue depth")
	}
	events, err = r.client.XLen(ctx, r.eventsKey()).Result()
	return jobs, events, classify(err, "queue depth")
}

// NewJobID returns a fresh job identifier.
func (r *Registry) NewJobID() (string, error) { return newID("job_", r.now()) }
