package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"reportgate/internal/seal"
)

// Partner webhook secrets sign deliveries, so they cannot be hashed like
// keys and tokens; they are sealed (package seal) under a key held outside
// Redis, in the webhook hash and in every queued delivery, so that a reader
// of Redis or of a backup cannot sign notifications to partners. Each value
// is bound to its record (the workspace and the key or job id).

// ErrNoSealKey: the registry has no seal key (Options.Seal), so it cannot
// store a partner webhook secret or queue a delivery. Configure one
// (--webhook-seal-key).
var ErrNoSealKey = errors.New("registry: no seal key configured: webhook secrets cannot be stored")

// storedWebhook is a webhook as kept in Redis. Secret is the form written
// before secrets were sealed: still read, and re-sealed by Reseal.
type storedWebhook struct {
	URL    string `json:"url"`
	Sealed string `json:"sealed_secret,omitempty"`
	Secret string `json:"secret,omitempty"`
}

// storedDelivery is a queued delivery as kept in Redis; Secret as above.
type storedDelivery struct {
	Job    Job    `json:"job"`
	Sealed string `json:"sealed_secret,omitempty"`
	Secret string `json:"secret,omitempty"`
}

func (r *Registry) webhookAD(keyID string) []byte {
	return []byte("reportgate/webhook-secret\x00" + r.workspace + "\x00" + keyID)
}

func (r *Registry) jobAD(jobID string) []byte {
	return []byte("reportgate/job-secret\x00" + r.workspace + "\x00" + jobID)
}

// sealSecret seals secret for the record ad names; "" stays "".
func (r *Registry) sealSecret(secret string, ad []byte) (string, error) {
	if r.seal == nil {
		return "", ErrNoSealKey
	}
	if secret == "" {
		return "", nil
	}
	return r.seal.Seal([]byte(secret), ad)
}

// openSecret returns the secret of a stored value: sealed, or in clear from
// an older version.
func (r *Registry) openSecret(sealed, clear string, ad []byte) (string, error) {
	switch {
	case sealed == "":
		return clear, nil
	case r.seal == nil:
		return "", ErrNoSealKey
	}
	b, err := r.seal.Open(sealed, ad)
	return string(b), err
}

func (r *Registry) sealWebhook(keyID string, w Webhook) ([]byte, error) {
	s, err := r.sealSecret(w.Secret, r.webhookAD(keyID))
	if err != nil {
		return nil, err
	}
	return json.Marshal(storedWebhook{URL: w.URL, Sealed: s})
}

func (r *Registry) openWebhook(keyID string, b []byte) (Webhook, error) {
	var sw storedWebhook
	if err := json.Unmarshal(b, &sw); err != nil {
		return Webhook{}, fmt.Errorf("registry: webhook of %s: %w", keyID, err)
	}
	secret, err := r.openSecret(sw.Sealed, sw.Secret, r.webhookAD(keyID))
	if err != nil {
		return Webhook{}, fmt.Errorf("registry: webhook secret of %s: %w", keyID, err)
	}
	return Webhook{URL: sw.URL, Secret: secret}, nil
}

func (r *Registry) sealDelivery(d Delivery) ([]byte, error) {
	s, err := r.sealSecret(d.Secret, r.jobAD(d.Job.ID))
	if err != nil {
		return nil, err
	}
	return json.Marshal(storedDelivery{Job: d.Job, Sealed: s})
}

// errMalformedJob: a job that is not JSON at all (dropped, as before).
var errMalformedJob = errors.New("registry: malformed job")

func (r *Registry) openDelivery(b []byte) (Delivery, error) {
	var sd storedDelivery
	if err := json.Unmarshal(b, &sd); err != nil {
		return Delivery{}, errMalformedJob
	}
	secret, err := r.openSecret(sd.Sealed, sd.Secret, r.jobAD(sd.Job.ID))
	if err != nil {
		return Delivery{Job: sd.Job}, fmt.Errorf("registry: secret of job %s: %w", sd.Job.ID, err)
	}
	return Delivery{Job: sd.Job, Secret: secret}, nil
}

// sealedAll marshals each delivery for the queue.
func (r *Registry) sealedAll(ds []Delivery) ([][]byte, error) {
	out := make([][]byte, len(ds))
	for i, d := range ds {
		b, err := r.sealDelivery(d)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// deadUnopenable gives up a claimed job whose secret cannot be opened (its
// seal key was dropped, or it was tampered with): it could never be signed.
// The dead letter, without secret, says why.
func (r *Registry) deadUnopenable(ctx context.Context, d Delivery, cause error) {
	r.log.Warn("notification job dead-lettered: its secret cannot be opened", "job_id", d.Job.ID,
		"key_id", d.Job.KeyID, "err", cause)
	d.Job.LastErr = "the delivery's secret cannot be opened with the configured seal keys: " + cause.Error()
	if err := r.DeadLetter(ctx, d.Job); err != nil {
		r.log.Warn("dead-lettering an unopenable job failed", "job_id", d.Job.ID, "err", err)
	}
}

// ResealStats counts what Reseal did.
type ResealStats struct {
	// Webhooks and Jobs re-sealed under the current key (from a previous
	// key, or from clear text written by an older version).
	Webhooks, Jobs int
	// Unopenable values: sealed under a key the keyring no longer holds, or
	// altered. Their webhooks are skipped until the partner sets them
	// again; their jobs are dead-lettered when claimed.
	Unopenable int
}

// Reseal re-seals, under the current key, every stored webhook secret and
// every queued delivery not already sealed under it: the step of a key
// rotation that lets the previous key be dropped, and the migration of
// secrets stored in clear by older versions. A value changed meanwhile by
// another writer is left as that writer wrote it (sealed under its current
// key). Safe to run on every replica at once.
func (r *Registry) Reseal(ctx context.Context) (ResealStats, error) {
	var st ResealStats
	if r.seal == nil {
		return st, ErrNoSealKey
	}
	hooks, err := r.client.HGetAll(ctx, r.webhooksKey()).Result()
	if err != nil {
		return st, classify(err, "reseal webhooks")
	}
	for keyID, v := range hooks {
		var sw storedWebhook
		if json.Unmarshal([]byte(v), &sw) != nil || !r.needsReseal(sw.Sealed, sw.Secret) {
			continue
		}
		w, err := r.openWebhook(keyID, []byte(v))
		if err != nil {
			st.Unopenable++
			r.log.Warn("webhook secret cannot be opened: the partner must set its webhook again", "key_id", keyID, "err", err)
			continue
		}
		b, err := r.sealWebhook(keyID, w)
		if err != nil {
			return st, err
		}
		n, err := resealScript.Run(ctx, r.client, []string{r.webhooksKey()}, keyID, v, b).Int()
		if err != nil {
			return st, classify(err, "reseal webhook")
		}
		st.Webhooks += n
	}
	return st, r.resealJobs(ctx, &st)
}

func (r *Registry) resealJobs(ctx context.Context, st *ResealStats) error {
	ids, err := r.client.ZRange(ctx, r.jobsKey(), 0, -1).Result()
	if err != nil {
		return classify(err, "reseal jobs")
	}
	for _, id := range ids {
		v, err := r.client.Get(ctx, r.jobKey(id)).Result()
		if errors.Is(err, redis.Nil) {
			continue // delivered meanwhile
		}
		if err != nil {
			return classify(err, "reseal job")
		}
		var sd storedDelivery
		if json.Unmarshal([]byte(v), &sd) != nil || !r.needsReseal(sd.Sealed, sd.Secret) {
			continue
		}
		d, err := r.openDelivery([]byte(v))
		if err != nil {
			st.Unopenable++
			continue
		}
		b, err := r.sealDelivery(d)
		if err != nil {
			return err
		}
		n, err := resealScript.Run(ctx, r.client, []string{r.jobKey(id)}, "", v, b).Int()
		if err != nil {
			return classify(err, "reseal job")
		}
		st.Jobs += n
	}
	return nil
}

// needsReseal: a secret in clear, or sealed under another key than the
// current one.
func (r *Registry) needsReseal(sealed, clear string) bool {
	if sealed == "" {
		return clear != ""
	}
	id, err := seal.KeyID(sealed)
	return err == nil && id != r.seal.CurrentID()
}

// resealScript replaces a stored value only if it is still the one read,
// so a concurrent write (a partner's new webhook, a retried job) wins.
// KEYS[1] the hash or string; ARGV[1] the hash field ("" for a string),
// ARGV[2] the value read, ARGV[3] its re-sealed form. It is immutable.
var resealScript = redis.NewScript(`
local cur
if ARGV[1] == '' then cur = redis.call('GET', KEYS[1]) else cur = redis.call('HGET', KEYS[1], ARGV[1]) end
if cur ~= ARGV[2] then return 0 end
if ARGV[1] == '' then redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL') else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
`)
