package e2e_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/config"
	"reportgate/internal/ledgersim"
)

// testSealKey seals webhook secrets in every test gateway (world.config).
var testSealKey = "test:" + base64.StdEncoding.EncodeToString([]byte("reportgate-e2e-test-seal-key-32b"))

// TestWebhookSecretSealedInRedis (issue 13, item 4), end to end: a partner
// sets its webhook, an upstream event is delivered signed with its secret,
// and neither the webhook hash nor the queue in Redis holds the secret; a
// gateway without a seal key refuses to take a webhook secret at all.
func TestWebhookSecretSealedInRedis(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gatewayWith(webhookConfig, nil, fastNotifier)
	w.withWebhooks(g)
	_, secret := w.key(1)
	r := newReceiver(t, "partner-one-secret-123")
	must(t, setWebhook(t, g, secret, r.srv.URL, r.secret).errIf(200))
	// The first delivery is held while Redis is read: its job is queued.
	release := make(chan struct{})
	r.mu.Lock()
	r.hang, r.hung = release, make(chan struct{}, 1)
	hung := r.hung
	r.mu.Unlock()
	_, err := w.sim.AddTransaction(ledgersim.NewTransaction{AccountID: entityAccount(t, w.sim.Dataset(), 1), Type: "RECEIVE"})
	must(t, err)
	select {
	case <-hung:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery started")
	}
	dump := dumpRedis(t, w.redis.URL())
	if !strings.Contains(dump, "rgs1.test.") || !strings.Contains(dump, r.srv.URL) {
		t.Fatalf("no sealed value or no webhook in Redis: the scan proves nothing")
	}
	if strings.Contains(dump, r.secret) || strings.Contains(dump, r.secret[:10]) {
		t.Fatal("Redis holds the partner's webhook secret")
	}
	close(release) // that attempt fails; the retry, from the sealed job, is delivered signed
	r.waitCount(1)

	off := w.gateway(func(c *config.Config) { webhookConfig(c); c.WebhookSealKey = "" }, nil)
	a := setWebhook(t, off, secret, r.srv.URL, r.secret)
	if a.status != http.StatusServiceUnavailable || !strings.Contains(string(a.body), "seal key") {
		t.Fatalf("PUT without a seal key: %d %s, want 503 naming the seal key", a.status, a.body)
	}
	if !strings.Contains(w.logs.String(), "no --webhook-seal-key") {
		t.Error("a gateway without a seal key did not warn at start-up")
	}
}

// dumpRedis returns every string and hash value of the database.
func dumpRedis(t *testing.T, url string) string {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	var b strings.Builder
	iter := c.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		switch c.Type(ctx, key).Val() {
		case "string":
			b.WriteString(c.Get(ctx, key).Val())
		case "hash":
			for k, v := range c.HGetAll(ctx, key).Val() {
				b.WriteString(k + "=" + v + "\n")
			}
		case "stream":
			for _, m := range c.XRange(ctx, key, "-", "+").Val() {
				for k, v := range m.Values {
					b.WriteString(k + "=" + v.(string) + "\n")
				}
			}
		}
		b.WriteString("\n")
	}
	must(t, iter.Err())
	return b.String()
}
