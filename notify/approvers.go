package notify

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"reportgate/registry"
)

// JobQueue is where approver notifications wait for delivery: the partner
// delivery queue (the registry), so they are signed, retried and
// dead-lettered like partners' deliveries.
type JobQueue interface {
	NewJobID() (string, error)
	QueueJobs(ctx context.Context, streamID string, ds []registry.Delivery) error
}

// Approvers notifies the operator's approver webhook of every pending
// admin request (admin.API.OnRequestFiled). Safe for concurrent use.
type Approvers struct {
	queue       JobQueue
	url, secret string
	now         func() time.Time
	log         *slog.Logger
}

// NewApprovers returns the notifier of url, signing with secret.
func NewApprovers(queue JobQueue, url, secret string, now func() time.Time, logger *slog.Logger) *Approvers {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Approvers{queue: queue, url: url, secret: secret, now: now, log: logger}
}

// Filed queues a signed notification of req. A failure is logged, never
// returned: the request is filed either way.
func (a *Approvers) Filed(ctx context.Context, req registry.Request) {
	body, _ := json.Marshal(map[string]any{
		"event_type": "KEY_REQUEST_PENDING_APPROVAL", "request_id": req.ID, "kind": req.Kind,
		"key_id": req.KeyID, "requested_by": req.RequestedByName, "quorum": req.Quorum,
		"expires_at": req.ExpiresAt,
	})
	id, err := a.queue.NewJobID()
	if err == nil {
		err = a.queue.QueueJobs(ctx, "", []registry.Delivery{{Secret: a.secret, Job: registry.Job{
			ID: id, URL: a.url, Body: string(body), Created: a.now()}}})
	}
	if err != nil {
		a.log.Warn("approver notification not queued", "request_id", req.ID, "err", err)
	}
}
