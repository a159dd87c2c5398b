package admin

import (
	"context"
	"net/http"

	"reportgate/ratelimit"
	"reportgate/registry"
)

// UpstreamBudget is what GET /v1/keys/{id}/upstream reads: the operator's
// upstream budget (ratelimit.Shared implements it).
type UpstreamBudget interface {
	Limit() ratelimit.Limit
	Window() float64
	Share() (perSecond float64, contended, known bool)
	Use(ctx context.Context, keyID string) (ratelimit.KeyUse, error)
}

var _ UpstreamBudget = (*ratelimit.Shared)(nil)

// ServeUpstreamBudget makes GET /v1/keys/{id}/upstream report b; without
// it the route answers that the gateway has no budget.
func (a *API) ServeUpstreamBudget(b UpstreamBudget) { a.budget = b }

// KeyUpstream is a key's use of the operator's upstream budget, summed
// over every replica (docs/admin-api.md).
type KeyUpstream struct {
	KeyID string `json:"key_id"`
	// Enabled is false when the gateway has no budget
	// (--upstream-rate-limit unset); nothing else is reported then.
	Enabled     bool   `json:"enabled"`
	Budget      string `json:"budget,omitempty"`
	BudgetBurst int    `json:"budget_burst,omitempty"`
	// WindowSeconds is how long demand is measured before the shares are
	// computed again.
	WindowSeconds float64 `json:"window_seconds,omitempty"`
	// Contended says whether the keys asked for more than the budget in
	// the last window; FairSharePerSecond is then what each key may send,
	// otherwise what a key's spike may take. Both absent before the
	// first window.
	Contended          *bool    `json:"contended,omitempty"`
	FairSharePerSecond *float64 `json:"fair_share_per_second,omitempty"`
	// LastWindow counts the upstream requests asked for on the key's
	// behalf in the last complete window (sent or refused by the budget;
	// cached and coalesced answers ask for none).
	LastWindow *UpstreamCounts `json:"last_window,omitempty"`
	Sent24h    int64           `json:"sent_24h"`
	Refused24h int64           `json:"refused_24h"`
}

// UpstreamCounts are requests asked for, sent and refused.
type UpstreamCounts struct {
	Asked   int64 `json:"asked"`
	Sent    int64 `json:"sent"`
	Refused int64 `json:"refused"`
}

func (a *API) keyUpstream(_ http.ResponseWriter, r *http.Request, _ registry.Admin) (int, any, error) {
	if _, err := query(r); err != nil {
		return 0, nil, err
	}
	k, err := a.reg.Key(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	out := KeyUpstream{KeyID: k.ID}
	if a.budget == nil {
		return http.StatusOK, out, nil
	}
	u, err := a.budget.Use(r.Context(), k.ID)
	if err != nil {
		return 0, nil, err
	}
	l := a.budget.Limit()
	out.Enabled, out.Budget, out.BudgetBurst, out.WindowSeconds = true, l.Rate(), l.Burst, a.budget.Window()
	if share, contended, ok := a.budget.Share(); ok {
		out.Contended, out.FairSharePerSecond = &contended, &share
	}
	out.LastWindow = &UpstreamCounts{Asked: u.LastWindow.Asked, Sent: u.LastWindow.Sent, Refused: u.LastWindow.Refused}
	out.Sent24h, out.Refused24h = u.Sent24h, u.Refused24h
	return http.StatusOK, out, nil
}
