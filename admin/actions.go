package admin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"reportgate/registry"
)

// ConfirmWait bounds how long a suspend, an unsuspend or a revocation
// filing waits for every live gateway replica to confirm it applied the
// change. A replica hears a change and confirms it in two Pub/Sub hops,
// a few milliseconds (docs/admin-api.md has the figures); one that has not
// within 250 ms is stalled, cut off from Redis or gone, and waiting longer
// would hold the administrator's click without telling more. It is also
// the probe period (registry.ProbeEvery): a replica silent that long has
// missed a probe.
const ConfirmWait = 250 * time.Millisecond

// Evicter is this replica's key cache (*keycache.KeyCache does it):
// Invalidate forgets a key's record older than generation, and no request
// reads the older record once it returns.
type Evicter interface {
	Invalidate(hash [32]byte, generation uint64)
}

// KeyActions makes the key changes that must take effect at once —
// suspend, unsuspend, and filing a revocation (which suspends the key) —
// for the API and the console alike, so both follow one rule: the change is
// made in the registry, applied to this replica's own cache before the
// caller answers, and confirmed by the other live replicas within
// ConfirmWait (registry.WaitApplied). Safe for concurrent use.
type KeyActions struct {
	reg   *registry.Registry
	local Evicter
}

// NewKeyActions returns the actions over reg, applied at once to local
// (nil: this process caches no key, as in the CLI's tests).
func NewKeyActions(reg *registry.Registry, local Evicter) *KeyActions {
	return &KeyActions{reg: reg, local: local}
}

// Suspend suspends an ACTIVE key.
func (a *KeyActions) Suspend(ctx context.Context, actor, id string) (registry.Key, Confirmation, error) {
	k, err := a.reg.Suspend(ctx, actor, id)
	if err != nil {
		return k, Confirmation{}, err
	}
	return k, a.apply(ctx, k, "suspend"), nil
}

// Unsuspend makes a SUSPENDED key ACTIVE again.
func (a *KeyActions) Unsuspend(ctx context.Context, actor, id string) (registry.Key, Confirmation, error) {
	k, err := a.reg.Unsuspend(ctx, actor, id)
	if err != nil {
		return k, Confirmation{}, err
	}
	return k, a.apply(ctx, k, "unsuspend"), nil
}

// FileRevoke files a revocation request, which suspends the key meanwhile.
func (a *KeyActions) FileRevoke(ctx context.Context, actor, id string) (registry.Key, registry.Request, Confirmation, error) {
	k, req, err := a.reg.FileRevoke(ctx, actor, id)
	if err != nil {
		return k, req, Confirmation{}, err
	}
	return k, req, a.apply(ctx, k, "revoke"), nil
}

// Confirmation is what the replicas confirmed so far of the change that
// made k (verb: suspend, unsuspend or revoke), without waiting: the
// console's page after the change reads it.
func (a *KeyActions) Confirmation(ctx context.Context, k registry.Key, verb string) Confirmation {
	applied, err := a.reg.WaitApplied(ctx, k.ID, k.Generation, 0)
	return newConfirmation(verb, applied, err)
}

func (a *KeyActions) apply(ctx context.Context, k registry.Key, verb string) Confirmation {
	if h, err := k.Event().HashBytes(); err == nil && a.local != nil {
		a.local.Invalidate(h, k.Generation)
	}
	a.reg.AppliedHere(k)
	applied, err := a.reg.WaitApplied(ctx, k.ID, k.Generation, ConfirmWait)
	return newConfirmation(verb, applied, err)
}

// Confirmation says which gateway replicas applied a suspend, an
// unsuspend or a revocation filing (docs/admin-api.md, "Confirmation").
type Confirmation struct {
	// Replicas counts the live gateway replicas, the answering one
	// included; 0 when Redis did not say which are live.
	Replicas int `json:"replicas"`
	// Confirmed and Unconfirmed name them: those that applied the change
	// within WaitMS, and the others.
	Confirmed   []string `json:"confirmed"`
	Unconfirmed []string `json:"unconfirmed"`
	// All is true when every live replica confirmed.
	All bool `json:"all"`
	// WaitMS is how long the answer waited for them at most.
	WaitMS int64 `json:"wait_ms"`
	// Summary says it in an administrator's words.
	Summary string `json:"summary"`
}

// verbWords are what an administrator reads after each change: what was
// done, and what a replica that applied it does with the key.
var verbWords = map[string]struct{ done, one, many string }{
	"suspend":   {"Suspended.", "refuses it now", "refuse it now"},
	"unsuspend": {"Unsuspended.", "accepts it now", "accept it now"},
	"revoke":    {"Revocation filed; the key is suspended until it is decided.", "refuses it now", "refuse it now"},
}

func newConfirmation(verb string, a registry.Applied, err error) Confirmation {
	w := verbWords[verb]
	c := Confirmation{Replicas: len(a.Live), Confirmed: nonNil(a.Confirmed), Unconfirmed: nonNil(a.Missing),
		All: err == nil && a.All(), WaitMS: ConfirmWait.Milliseconds()}
	n := len(a.Live)
	switch {
	case err != nil:
		c.Summary = fmt.Sprintf("%s This gateway replica %s; whether the others do could not be checked: Redis did not answer.", w.done, w.one)
	case c.All && n == 1:
		c.Summary = fmt.Sprintf("%s The only gateway replica %s.", w.done, w.one)
	case c.All:
		c.Summary = fmt.Sprintf("%s All %d gateway replicas %s.", w.done, n, w.many)
	default:
		c.Summary = fmt.Sprintf("%s %d of %d gateway replicas confirmed; %s did not answer within %d ms.",
			w.done, len(a.Confirmed), n, names(a.Missing), c.WaitMS)
	}
	return c
}

// names lists replicas in a sentence: "replica a", "replicas a and b",
// "replicas a, b and c".
func names(ns []string) string {
	if len(ns) == 1 {
		return "replica " + ns[0]
	}
	return "replicas " + strings.Join(ns[:len(ns)-1], ", ") + " and " + ns[len(ns)-1]
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{} // [] rather than null in JSON
	}
	return s
}
