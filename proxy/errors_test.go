package proxy

import (
	"errors"
	"net"
	"os"
	"testing"

	"github.com/valyala/fasthttp"

	"reportgate/internal/apierr"
)

// Regression: requests fasthttp could not read (a second Host, a bad
// header, oversized headers) were answered in text/plain ("Error when
// parsing request"), not in the upstream's Error shape every other refusal
// uses.
func TestParseErrorShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"headers too large", &fasthttp.ErrSmallBuffer{}, 431},
		{"body too large", fasthttp.ErrBodyTooLarge, 413},
		{"read timeout", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, 408},
		{"anything else", errors.New("too many host headers"), 400},
	}
	for _, tt := range tests {
		ae := parseError(tt.err)
		if ae.status != tt.status || ae.name != apierr.Name(tt.status) || ae.msg == "" {
			t.Errorf("%s: %d %q %q, want %d %q and a message", tt.name, ae.status, ae.name, ae.msg, tt.status, apierr.Name(tt.status))
		}
	}
}
