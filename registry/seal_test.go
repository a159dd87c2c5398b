package registry

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"reportgate/internal/seal"
)

func testKey(t *testing.T, id string) seal.Key {
	t.Helper()
	s, err := seal.Generate(id)
	if err != nil {
		t.Fatal(err)
	}
	k, err := seal.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testKeyring(t *testing.T, current seal.Key, previous ...seal.Key) *seal.Keyring {
	t.Helper()
	r, err := seal.NewKeyring(current, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// withSeal is another registry on e's Redis with keyring ring (a replica
// configured with other seal keys).
func (e *env) withSeal(ring *seal.Keyring) *Registry {
	e.t.Helper()
	r, err := New(e.client, "acme", Options{Quorum: e.reg.quorum, Now: e.clock.Now, Seal: ring,
		Logger: slog.New(slog.NewJSONHandler(e.logs, nil))})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

const (
	partnerSecret = "partner-secret-0123456789abcdef"
	hookURL       = "https://hooks.example.com/x"
)

// queueOne stores a webhook for kid and queues one delivery with its secret.
func queueOne(t *testing.T, r *Registry, kid string) string {
	t.Helper()
	ctx := context.Background()
	if err := r.PutWebhook(ctx, kid, Webhook{URL: hookURL, Secret: partnerSecret}); err != nil {
		t.Fatal(err)
	}
	id := must(r.NewJobID())(t)
	if err := r.QueueJobs(ctx, "", []Delivery{{Secret: partnerSecret, Job: Job{ID: id, KeyID: kid, URL: hookURL, Body: "{}"}}}); err != nil {
		t.Fatal(err)
	}
	return id
}

// Regression (issue 13, item 4): partner webhook secrets were stored in
// clear in the webhook hash and in every queued delivery, so whoever read
// Redis or a backup could sign notifications to partners. Read Redis
// directly: no secret, in the webhook or in a job, first queued or retried.
func TestNoWebhookSecretInRedis(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	r := e.withSeal(testKeyring(t, testKey(t, "k1")))
	k, _ := e.activeKey("k", 1)
	queueOne(t, r, k.ID)
	ds := must(r.ClaimJobs(ctx, 10, 0))(t)
	if len(ds) != 1 || ds[0].Secret != partnerSecret {
		t.Fatalf("claimed %+v, want one job with the secret opened", ds)
	}
	ds[0].Job.Attempt++
	must(0, r.RetryJob(ctx, ds[0], e.clock.Now()))(t)
	hooks := must(r.Webhooks(ctx))(t)
	if hooks[k.ID].Secret != partnerSecret || hooks[k.ID].URL != hookURL {
		t.Fatalf("Webhooks = %+v", hooks)
	}
	if got := must(r.GetWebhook(ctx, k.ID))(t); got.URL != hookURL || got.Secret != "" {
		t.Fatalf("GetWebhook = %+v: the secret is write-only", got)
	}
	dump := e.dumpRedis()
	if strings.Count(dump, "rgs1.k1.") != 2 {
		t.Fatalf("want two sealed values (the webhook and the job) in:\n%s", dump)
	}
	if w, found := leaks(dump, partnerSecret, 0, 8); found {
		t.Fatalf("redis holds %q of a partner webhook secret", w)
	}
	if w, found := leaks(e.logs.String(), partnerSecret, 0, 8); found {
		t.Fatalf("the logs hold %q of a partner webhook secret", w)
	}
}

// TestWrongSealKeyCannotOpen: a replica with another key (even under the
// same id) neither reads the webhook nor signs the job: the webhook is
// skipped with a warning, the job dead-lettered, visibly.
func TestWrongSealKeyCannotOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	k, _ := e.activeKey("k", 1)
	job := queueOne(t, e.withSeal(testKeyring(t, testKey(t, "k1"))), k.ID)
	other := e.withSeal(testKeyring(t, testKey(t, "k1"))) // same id, other bytes
	if hooks := must(other.Webhooks(ctx))(t); len(hooks) != 0 {
		t.Fatalf("a wrong key opened %+v", hooks)
	}
	if ds := must(other.ClaimJobs(ctx, 10, 0))(t); len(ds) != 0 {
		t.Fatalf("a wrong key claimed %+v", ds)
	}
	dead := must(other.DeadLetters(ctx, 10))(t)
	if len(dead) != 1 || dead[0].ID != job || !strings.Contains(dead[0].LastErr, "cannot be opened") {
		t.Fatalf("dead letters %+v, want the job with the reason", dead)
	}
	none := e.reg // no seal key at all
	if err := none.PutWebhook(ctx, k.ID, Webhook{URL: hookURL, Secret: partnerSecret}); !errors.Is(err, ErrNoSealKey) {
		t.Fatalf("PutWebhook without a seal key: %v, want ErrNoSealKey", err)
	}
	if hooks := must(none.Webhooks(ctx))(t); len(hooks) != 0 {
		t.Fatalf("without a seal key: %+v", hooks)
	}
}

// TestSealKeyRotation: a replica with k2 current and k1 previous reads what
// k1 sealed, writes under k2, and Reseal moves everything (and secrets an
// older version stored in clear) under k2, after which k1 can be dropped.
func TestSealKeyRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	k1, _ := e.activeKey("one", 1)
	k2, _ := e.activeKey("two", 2)
	k3, _ := e.activeKey("three", 3)
	key1, key2 := testKey(t, "k1"), testKey(t, "k2")
	queueOne(t, e.withSeal(testKeyring(t, key1)), k1.ID)
	// As an older version stored it: in clear.
	legacy := `{"url":"` + hookURL + `","secret":"` + partnerSecret + `"}`
	must(e.client.HSet(ctx, e.reg.webhooksKey(), k3.ID, legacy).Result())(t)

	mid := e.withSeal(testKeyring(t, key2, key1))
	hooks := must(mid.Webhooks(ctx))(t)
	if hooks[k1.ID].Secret != partnerSecret || hooks[k3.ID].Secret != partnerSecret {
		t.Fatalf("k2+k1 replica reads %+v", hooks)
	}
	if err := mid.PutWebhook(ctx, k2.ID, Webhook{URL: hookURL, Secret: partnerSecret}); err != nil {
		t.Fatal(err)
	}
	st := must(mid.Reseal(ctx))(t)
	if st != (ResealStats{Webhooks: 2, Jobs: 1}) {
		t.Fatalf("Reseal = %+v, want k1's webhook, the clear one and k1's job", st)
	}
	dump := e.dumpRedis()
	if strings.Contains(dump, "rgs1.k1.") || strings.Count(dump, "rgs1.k2.") != 4 {
		t.Fatalf("after Reseal, want everything under k2:\n%s", dump)
	}
	if w, found := leaks(dump, partnerSecret, 0, 8); found {
		t.Fatalf("redis holds %q after Reseal", w)
	}
	if st := must(mid.Reseal(ctx))(t); st != (ResealStats{}) {
		t.Fatalf("second Reseal = %+v, want nothing left", st)
	}
	after := e.withSeal(testKeyring(t, key2)) // k1 dropped
	if hooks := must(after.Webhooks(ctx))(t); len(hooks) != 3 {
		t.Fatalf("k2 alone reads %d webhooks, want 3", len(hooks))
	}
	ds := must(after.ClaimJobs(ctx, 10, 0))(t)
	if len(ds) != 1 || ds[0].Secret != partnerSecret {
		t.Fatalf("k2 alone claims %+v", ds)
	}
}
