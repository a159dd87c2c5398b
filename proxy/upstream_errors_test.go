package proxy

import (
	"errors"
	"fmt"
	"testing"

	"github.com/valyala/fasthttp"

	"reportgate/keycache"
	"reportgate/policy"
	"reportgate/upstream"
)

// The one rule for upstream failures (issues 16.6, 17.3), whichever step
// met them: the forwarded request (upstream.StatusError from Do, or
// policy.UpstreamError from Verify), or a read of the gateway's own,
// wrapped by the policy (scope resolution, an owner lookup, a scan).
func TestUpstreamFailuresMapToOneRule(t *testing.T) {
	t.Parallel()
	status := func(s int) error { return &upstream.StatusError{Status: s, Message: "boom"} }
	scope := func(err error) error {
		return &policy.ScopeError{Err: fmt.Errorf("policy: resolve entity 1: %w", err)}
	}
	owner := func(err error) error { return fmt.Errorf("policy: owner of /transactions/{id}: %w", err) }
	tests := []struct {
		name   string
		err    error
		status int
		reason string
	}{
		{"forwarded 500", status(500), 502, "upstream_failed"},
		{"forwarded 501", status(501), 502, "upstream_failed"},
		{"forwarded 502", status(502), 502, "upstream_failed"},
		{"forwarded 503", status(503), 502, "upstream_failed"},
		{"forwarded 504", status(504), 504, "upstream_timeout"},
		{"forwarded 599", status(599), 502, "upstream_failed"},
		{"5xx the policy withheld", &policy.UpstreamError{Status: 503}, 502, "upstream_failed"},
		{"scope resolution 503", scope(status(503)), 502, "upstream_failed"},
		{"scope resolution 504", scope(status(504)), 504, "upstream_timeout"},
		{"scope resolution timed out", scope(fasthttp.ErrTimeout), 504, "upstream_timeout"},
		{"scope resolution, malformed entity", scope(policy.ErrMalformedBody), 502, "scope_unresolved"},
		{"owner lookup 500", owner(status(500)), 502, "upstream_failed"},
		{"owner lookup 401", owner(&policy.UpstreamError{Status: 401}), 502, "upstream_refused"},
		{"scan 420", status(420), 420, "upstream_rate_limited"},
		{"no answer", fasthttp.ErrConnectionClosed, 502, "upstream_error"},
		{"dial timeout", fasthttp.ErrDialTimeout, 504, "upstream_timeout"},
		{"headers over the buffer", upstream.ErrHeaderTooLarge, 502, "upstream_header_too_large"},
		{"body over the limit", fasthttp.ErrBodyTooLarge, 502, "upstream_too_large"},
		{"aborted by shutdown", scope(upstream.ErrClosed), 503, "shutting_down"},
		{"the registry, not the upstream", keycache.ErrRegistryDown, 503, "registry_down"},
	}
	for _, tt := range tests {
		ae := classify(tt.err)
		if ae.status != tt.status || ae.reason != tt.reason {
			t.Errorf("%s: %d %s, want %d %s", tt.name, ae.status, ae.reason, tt.status, tt.reason)
		}
	}
}

// No upstream status reaches a partner as a 500 or a 503: 503 means the
// gateway's own (the registry, the rate limiter, a shutdown).
func TestNoUpstream5xxIsA500Or503(t *testing.T) {
	t.Parallel()
	for s := 500; s < 600; s++ {
		got := upstreamStatus(s).status
		if got != 502 && got != 504 {
			t.Errorf("upstream %d → %d, want 502 or 504", s, got)
		}
	}
}

func TestUpstreamRetryAfter(t *testing.T) {
	t.Parallel()
	if got := upstreamRetry(&upstream.StatusError{Status: 420, RetryAfter: 7e9}); got != 7e9 {
		t.Errorf("Retry-After 7 s → %v", got)
	}
	if got := upstreamRetry(errors.New("x")); got != 1e9 {
		t.Errorf("no Retry-After → %v, want 1s", got)
	}
}
