package ledgersim_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"reportgate/internal/ledgersim"
)

func TestDeliveryRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 2)
	s := start(t, withWebhook(rc))
	if _, err := s.SetGroupMembers(1, []int{4}); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, s, rc, 1)
	if log := s.Notifications(); log[0].Attempts != 3 || log[0].LastStatusCode != 200 {
		t.Fatalf("notification %+v, want delivered on the third attempt", log[0])
	}
}

func TestDeliveryGivesUp(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 100)
	s := start(t, withWebhook(rc))
	if _, err := s.SetGroupMembers(1, []int{4}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log, err := s.WaitNotifications(ctx, func(log []ledgersim.Notification) bool {
		return len(log) == 1 && log[0].Status == ledgersim.DeliveryFailed
	})
	if err != nil {
		t.Fatalf("waiting for the failure: %v (%+v)", err, log)
	}
	if log[0].Attempts != 4 || log[0].LastStatusCode != 500 || !strings.Contains(log[0].LastError, "500") {
		t.Fatalf("failed notification %+v, want 4 attempts ending in 500", log[0])
	}
}

func TestWaitNotificationsHonoursTheDeadline(t *testing.T) {
	t.Parallel()
	s := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.WaitNotifications(ctx, func(log []ledgersim.Notification) bool { return len(log) > 0 })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitNotifications on a quiet server = %v, want the deadline", err)
	}
}

func TestNotificationConfigurationPerUser(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 0)
	s := start(t)
	cfg := map[string]any{"all": map[string]any{"webhook": map[string]any{"url": rc.URL, "secret": secret}}}
	post(t, s, http.MethodPut, "/notifications/configuration", cfg, http.StatusOK, nil)
	var got struct {
		All struct{ Webhook struct{ URL, Secret string } }
	}
	getJSON(t, s, "/notifications/configuration", &got)
	if got.All.Webhook.URL != rc.URL || got.All.Webhook.Secret != secret {
		t.Fatalf("configuration %+v, want the one just set", got)
	}
	if _, err := s.AddTransaction(ledgersim.NewTransaction{AccountID: 1, Type: "RECEIVE"}); err != nil {
		t.Fatal(err)
	}
	if events := waitDelivered(t, s, rc, 1); len(events) != 1 || events[0].EventType != "NEW_TRANSACTION_HAS_BEEN_RECEIVED" {
		t.Fatalf("events %+v, want the new transaction delivered to the configured webhook", events)
	}
	bad := map[string]any{"all": map[string]any{"webhook": map[string]any{"url": "ftp://x", "secret": "s"}}}
	if status, _ := do(t, s, http.MethodPut, "/notifications/configuration", bad); status != http.StatusBadRequest {
		t.Fatalf("PUT with an ftp url = %d, want 400", status)
	}
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	s, err := ledgersim.New(ledgersim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if s.URL() != "" {
		t.Errorf("URL() before Start = %q, want empty", s.URL())
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close before Start: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	l := listen(t)
	if err := s.Start(l); err == nil {
		t.Fatal("Start after Close succeeded, want an error")
	}
}

func TestStartTwice(t *testing.T) {
	t.Parallel()
	s := start(t)
	if err := s.Start(listen(t)); err == nil {
		t.Error("second Start succeeded, want an error")
	}
	if err := s.Serve(listen(t)); err == nil {
		t.Error("Serve after Start succeeded, want an error")
	}
}

// TestServeReturnsNilAfterClose: a request answered proves Serve runs;
// Close then ends it cleanly.
func TestServeReturnsNilAfterClose(t *testing.T) {
	t.Parallel()
	s, err := ledgersim.New(ledgersim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	l := listen(t)
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	resp, err := http.Get("http://" + l.Addr().String() + "/_sim/faults")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve after Close = %v, want nil", err)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestNewReportsEveryConfigProblem(t *testing.T) {
	t.Parallel()
	cfg := ledgersim.DefaultConfig()
	cfg.Users, cfg.APIUser, cfg.ErrorRate, cfg.WebhookURL = 0, "", 2, "not a url"
	_, err := ledgersim.New(cfg)
	if !errors.Is(err, ledgersim.ErrConfig) {
		t.Fatalf("New = %v, want ErrConfig", err)
	}
	for _, want := range []string{"users", "api user", "error rate", "webhook url", "webhook secret"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// TestFullQueueDropsNotifications holds the receiver on the first
// delivery, fills the queue behind it and checks the overflow is logged as
// dropped rather than blocking the change that caused it.
func TestFullQueueDropsNotifications(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	hold := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hold.Close)
	t.Cleanup(func() { close(release) })
	s := start(t, func(c *ledgersim.Config) { c.WebhookURL, c.WebhookSecret = hold.URL, secret })
	if _, err := s.SetGroupMembers(1, []int{4}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the first delivery never arrived")
	}
	const queue, extra = 256, 10
	for range queue + extra {
		if _, err := s.SetGroupMembers(1, []int{5}); err != nil {
			t.Fatal(err)
		}
	}
	counts := map[string]int{}
	for _, n := range s.Notifications() {
		counts[n.Status]++
	}
	if counts[ledgersim.DeliveryDropped] != extra || counts[ledgersim.DeliveryPending] != queue+1 {
		t.Fatalf("statuses %v, want %d dropped and %d pending", counts, extra, queue+1)
	}
}
