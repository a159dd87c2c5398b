package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"reportgate/internal/egress"
	"reportgate/internal/signature"
	"reportgate/policy"
	"reportgate/registry"
)

// Scopes is what the notifier needs of scope resolution (*policy.Resolver).
type Scopes interface {
	Scope(ctx context.Context, entities []int64) (*policy.Scope, error)
	InvalidateEntity(entity int64)
	InvalidateAll()
}

// NotifierOptions configure a Notifier; zero values mean the defaults,
// which are the upstream's own retry policy.
type NotifierOptions struct {
	// MaxAttempts before a job is dead-lettered. Default 100.
	MaxAttempts int
	// FirstRetry is the delay after the first failure; it doubles up to
	// MaxRetry. Defaults 5s and 30m.
	FirstRetry, MaxRetry time.Duration
	// Lease is how long a claimed job is reserved for its deliverer.
	// Default 1m.
	Lease time.Duration
	// Poll is how often due jobs are looked for. Default 1s.
	Poll time.Duration
	// Timeout bounds one delivery. Default 10s.
	Timeout time.Duration
	// Consumer names this replica in the event stream's consumer group.
	Consumer string
	// Client sends deliveries to the operator's approver webhook. Default:
	// an http.Client without redirects.
	Client *http.Client
	// PartnerClient sends deliveries to partner webhooks, whose URLs
	// partners choose. Default: egress.Client, which dials public
	// addresses only (loopback too with AllowLoopback).
	PartnerClient *http.Client
	// AllowLoopback lets the default PartnerClient reach loopback
	// receivers (tests, demos: --allow-loopback-http-webhooks).
	AllowLoopback bool
	// Now is the clock. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Notifier delivers upstream events to the partners whose scope covers
// them, signed with each partner's secret, at least once (docs/design.md §8). Run it
// on every replica: the consumer group and job leases share the work.
type Notifier struct {
	reg    *registry.Registry
	scopes Scopes
	owners *policy.Owners
	opts   NotifierOptions

	delivered, retried, dead atomic.Uint64
}

// NewNotifier returns a notifier over reg.
func NewNotifier(reg *registry.Registry, scopes Scopes, owners *policy.Owners, o NotifierOptions) *Notifier {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.FirstRetry, 5*time.Second)
	def(&o.MaxRetry, 30*time.Minute)
	def(&o.Lease, time.Minute)
	def(&o.Poll, time.Second)
	def(&o.Timeout, 10*time.Second)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 100
	}
	if o.Consumer == "" {
		o.Consumer = "replica"
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.PartnerClient == nil {
		o.PartnerClient = egress.Client(o.AllowLoopback, o.Timeout)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Notifier{reg: reg, scopes: scopes, owners: owners, opts: o}
}

// Run fans events out and delivers jobs until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	go func() {
		for ctx.Err() == nil {
			if _, err := n.FanOut(ctx, n.opts.Poll); err != nil && ctx.Err() == nil {
				n.opts.Logger.Warn("notification fan-out failed", "err", err)
				sleep(ctx, n.opts.Poll)
			}
		}
	}()
	t := time.NewTicker(n.opts.Poll)
	defer t.Stop()
	for {
		for {
			k, err := n.Deliver(ctx)
			if err != nil && ctx.Err() == nil {
				n.opts.Logger.Warn("notification delivery failed", "err", err)
			}
			if k == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// FanOut turns waiting events into jobs for the partners they concern,
// waiting at most block for an event. It returns how many events it took.
func (n *Notifier) FanOut(ctx context.Context, block time.Duration) (int, error) {
	events, err := n.reg.ReadEvents(ctx, n.opts.Consumer, 16, 2*n.opts.Lease, block)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	hooks, err := n.reg.Webhooks(ctx)
	if err != nil {
		return 0, err
	}
	for _, se := range events {
		ApplyScopeEffect(n.scopes, se.Event) // this replica may not have heard it yet
		ds, err := n.jobsFor(ctx, se.Event, hooks)
		if err != nil {
			return 0, err // not acknowledged: retried, here or by another replica
		}
		if err := n.reg.QueueJobs(ctx, se.StreamID, ds); err != nil {
			return 0, err
		}
	}
	return len(events), nil
}

// jobsFor returns one delivery per partner whose key is ACTIVE and whose
// scope covers the event's object.
func (n *Notifier) jobsFor(ctx context.Context, e registry.NotifyEvent, hooks map[string]registry.Webhook) ([]registry.Delivery, error) {
	body, _ := json.Marshal(e)
	var out []registry.Delivery
	for keyID, hook := range hooks {
		k, err := n.reg.Key(ctx, keyID)
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if k.Status != registry.StatusActive {
			continue // suspended or revoked partners get nothing, not later either
		}
		s, err := n.scopes.Scope(ctx, k.Entities)
		if err != nil {
			return nil, err
		}
		in, err := n.covers(ctx, s, e)
		if err != nil {
			return nil, err
		}
		if !in {
			continue
		}
		id, err := n.reg.NewJobID()
		if err != nil {
			return nil, err
		}
		out = append(out, registry.Delivery{Secret: hook.Secret, Job: registry.Job{
			ID: id, KeyID: keyID, URL: hook.URL, Body: string(body), Created: n.opts.Now()}})
	}
	return out, nil
}

// covers decides whether scope s covers e's object, by its payload type:
// a transaction by its account, a request by its target, an account by
// membership, a user, group, whitelist or entity by the governance sets.
func (n *Notifier) covers(ctx context.Context, s *policy.Scope, e registry.NotifyEvent) (bool, error) {
	switch pt := e.PayloadType; {
	case pt == "TRANSACTION":
		ow, err := n.owners.Lookup(ctx, policy.TransactionOwner, e.ID)
		return ownerCovered(s, ow, err, n.owners)
	case pt == "REQUEST":
		ow, err := n.owners.Lookup(ctx, policy.RequestOwner, e.ID)
		return ownerCovered(s, ow, err, n.owners)
	case pt == "ACCOUNT" || strings.HasSuffix(pt, "_ACCOUNT"):
		return s.Accounts.Has(e.ID), nil
	case pt == "USER":
		return s.Users.Has(e.ID), nil
	case pt == "GROUP":
		return s.Groups.Has(e.ID), nil
	case pt == "WHITELIST":
		return s.Whitelists.Has(e.ID), nil
	case pt == "ENTITY":
		return s.Entities.Has(e.ID), nil
	}
	return false, nil
}

func ownerCovered(s *policy.Scope, ow policy.Ownership, err error, owners *policy.Owners) (bool, error) {
	if errors.Is(err, policy.ErrObjectNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return policy.TargetInScope(s, ow.Kind, ow.ID, owners), nil
}

// Deliver sends the jobs that are due; it returns how many it claimed.
func (n *Notifier) Deliver(ctx context.Context) (int, error) {
	ds, err := n.reg.ClaimJobs(ctx, 32, n.opts.Lease)
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		if err := n.deliver(ctx, d); err != nil {
			return len(ds), err
		}
	}
	return len(ds), nil
}

func (n *Notifier) deliver(ctx context.Context, d registry.Delivery) error {
	sendErr := n.send(ctx, d)
	if sendErr == nil {
		n.delivered.Add(1)
		return n.reg.CompleteJob(ctx, d.Job.ID)
	}
	d.Job.Attempt++
	d.Job.LastErr = sendErr.Error()
	if d.Job.Attempt >= n.opts.MaxAttempts {
		n.dead.Add(1)
		n.opts.Logger.Warn("notification dead-lettered", "job_id", d.Job.ID, "key_id", d.Job.KeyID,
			"attempts", d.Job.Attempt, "err", sendErr)
		return n.reg.DeadLetter(ctx, d.Job)
	}
	n.retried.Add(1)
	return n.reg.RetryJob(ctx, d, n.opts.Now().Add(n.Backoff(d.Job.Attempt)))
}

// Backoff is the wait after the attempt-th failure: FirstRetry doubling up
// to MaxRetry.
func (n *Notifier) Backoff(attempt int) time.Duration {
	d := n.opts.FirstRetry
	for i := 1; i < attempt && d < n.opts.MaxRetry; i++ {
		d *= 2
	}
	return min(d, n.opts.MaxRetry)
}

// send POSTs the body signed with the receiver's secret, in the upstream's
// X-Ledger-Signature format; only a 2xx is a delivery.
func (n *Notifier) send(ctx context.Context, d registry.Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Job.URL, bytes.NewReader([]byte(d.Job.Body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "reportgate-notifier")
	req.Header.Set(signature.Header, signature.Sign([]byte(d.Secret), n.opts.Now(), []byte(d.Job.Body)))
	client := n.opts.PartnerClient
	if d.Job.KeyID == "" { // the operator's approver webhook
		client = n.opts.Client
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %d", resp.StatusCode)
	}
	return nil
}

// NotifierStats are counters since start.
type NotifierStats struct{ Delivered, Retried, Dead uint64 }

// Stats returns the counters.
func (n *Notifier) Stats() NotifierStats {
	return NotifierStats{Delivered: n.delivered.Load(), Retried: n.retried.Load(), Dead: n.dead.Load()}
}

// ApplyScopeEffect drops the scope snapshots an event may have changed in
// this replica: an entity's own events name it; an account, group or
// whitelist event may change any entity's sets.
func ApplyScopeEffect(s Scopes, e registry.NotifyEvent) {
	entities, all := ScopeEffect(e)
	if all {
		s.InvalidateAll()
	}
	for _, id := range entities {
		s.InvalidateEntity(id)
	}
}

// ScopeEffect says which entities' coverage an upstream event may change.
func ScopeEffect(e registry.NotifyEvent) (entities []int64, all bool) {
	switch pt := e.PayloadType; {
	case pt == "ENTITY":
		return []int64{e.ID}, false
	case pt == "ACCOUNT" || strings.HasSuffix(pt, "_ACCOUNT"), pt == "GROUP", pt == "WHITELIST":
		return nil, true
	}
	return nil, false
}
