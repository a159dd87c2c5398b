package gateway

import (
	"context"
	"time"
)

// resealRetry is the wait between attempts while Redis is unreachable.
const resealRetry = 10 * time.Second

// resealWebhooks re-seals, at start-up, the stored webhook secrets and
// queued deliveries not sealed under the current key (a rotation, or secrets
// an older version stored in clear), retrying while Redis is unreachable.
// Its log line is the rotation's checkpoint: once a replica with the new
// key reports unopenable 0, the previous key can be dropped.
func (g *Gateway) resealWebhooks(ctx context.Context) {
	if g.cfg.Seal == nil {
		g.log.Warn("no --webhook-seal-key: partners cannot set webhooks (503 on PUT /notifications/configuration) " +
			"and stored partner webhooks are not delivered to; see README § Webhook secrets")
		return
	}
	for {
		st, err := g.reg.Reseal(ctx)
		if err == nil {
			g.log.Info("webhook secrets sealed under the current key", "seal_key_id", g.cfg.Seal.CurrentID(),
				"resealed_webhooks", st.Webhooks, "resealed_jobs", st.Jobs, "unopenable", st.Unopenable)
			return
		}
		if ctx.Err() != nil {
			return
		}
		g.log.Warn("re-sealing webhook secrets failed; retrying", "err", err, "retry_in", resealRetry.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(resealRetry):
		}
	}
}
