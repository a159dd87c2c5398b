package upstream

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"reportgate/ratelimit"
)

// checkEvery bounds how often Check asks the upstream: readiness probes
// may come every second from several sources.
const checkEvery = 2 * time.Second

// checker memoises the last readiness check.
type checker struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// Check reports whether the upstream answers with the operator's
// credentials, asking it for its currency list at most every two seconds:
// any answer below 500 but 401 means reachable (its rate limit, 420,
// included); a 5xx, a 401 or a transport error means not, with what failed
// in the error's text. The upstream's message is not repeated: /readyz is
// unauthenticated. Under a Shared client the read spends the operator's
// budget like any other; when the budget refuses it (or an upstream 420
// paused every read), the last result stands and the next probe asks.
func (c *Client) Check(ctx context.Context) error {
	c.check.mu.Lock()
	defer c.check.mu.Unlock()
	now := c.now()
	if !c.check.at.IsZero() && now.Sub(c.check.at) < checkEvery {
		return c.check.err
	}
	fetch := c.Fetch
	if c.checkFetch != nil {
		fetch = c.checkFetch
	}
	status, _, err := fetch(ctx, "/currencies")
	if _, refused := errors.AsType[*ratelimit.Refusal](err); refused {
		return c.check.err
	}
	if se, ok := errors.AsType[*StatusError](err); ok {
		status, err = se.Status, nil
	}
	switch {
	case err != nil:
		c.check.err = errors.New("unreachable: " + err.Error())
	case status >= 500:
		c.check.err = errors.New("answers " + http.StatusText(status))
	case status == http.StatusUnauthorized:
		c.check.err = errors.New("refuses the operator credentials (401)")
	default:
		c.check.err = nil
	}
	c.check.at = now
	return c.check.err
}
