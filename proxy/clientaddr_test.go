package proxy

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/internal/gcra"
)

// requestFrom is a request from peer with the given X-Forwarded-For lines.
func requestFrom(peer string, xff ...string) *fasthttp.RequestCtx {
	var req fasthttp.Request
	for _, v := range xff {
		req.Header.Add("X-Forwarded-For", v)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.ParseIP(peer), Port: 1234}, nil)
	return &ctx
}

// TestClientAddrGroupsIPv6ByPrefix verifies (issue 13, item 9) that the
// failed-authentication throttle charges IPv6 clients by /64, whether the
// address is the peer's or comes from a trusted proxy's X-Forwarded-For,
// and IPv4-mapped addresses as IPv4, on either path.
func TestClientAddrGroupsIPv6ByPrefix(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	p := &Proxy{opts: Options{TrustedProxies: trusted}}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"peer IPv6, low bits vary", "2001:db8:1:2:ffff:ffff:ffff:ffff", nil, "2001:db8:1:2::"},
		{"forwarded IPv6 from an IPv6 proxy", "fd00::1", []string{"2001:db8:1:2::5, fd00::2"}, "2001:db8:1:2::"},
		{"forwarded IPv6 from an IPv4 proxy", "10.0.0.1", []string{"2001:db8:7:8:9::1"}, "2001:db8:7:8::"},
		{"forwarded IPv6 with a zone", "10.0.0.1", []string{"2001:db8:5:6::1%eth0"}, "2001:db8:5:6::"},
		{"forwarded IPv4-mapped is IPv4", "10.0.0.1", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"trusted proxy as IPv4-mapped IPv6", "::ffff:10.1.2.3", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted hop as IPv4-mapped IPv6", "10.0.0.1", []string{"198.51.100.1, ::ffff:10.9.9.9"}, "198.51.100.1"},
		{"untrusted IPv6 peer, header ignored", "2001:db8:9:9::1", []string{"198.51.100.1"}, "2001:db8:9:9::"},
		// Regression: a proxy that adds its own X-Forwarded-For line after
		// the client's (instead of appending to it) made the client's line,
		// the first, decide; lines are one list (RFC 9110 §5.3), read from
		// the right.
		{"client line then proxy line", "10.0.0.1", []string{"203.0.113.50", "198.51.100.1"}, "198.51.100.1"},
		{"client line, proxy line, trusted hop", "10.0.0.1", []string{"203.0.113.50, 203.0.113.51", "198.51.100.1, 10.2.2.2"}, "198.51.100.1"},
		{"malformed last line: the peer", "10.0.0.1", []string{"198.51.100.1", "nonsense"}, "10.0.0.1"},
	}
	for _, tt := range tests {
		if got := p.clientAddr(requestFrom(tt.peer, tt.xff...)); got.String() != tt.want {
			t.Errorf("%s: clientAddr = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestAuthThrottleSharesOneBudgetPerIPv6Block: two addresses of one /64
// spend one budget; another /64 has its own.
func TestAuthThrottleSharesOneBudgetPerIPv6Block(t *testing.T) {
	t.Parallel()
	p := &Proxy{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	th, err := newAuthThrottle(gcra.Limit{Interval: time.Second, Burst: 2}, 16)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0).UnixNano()
	for i, peer := range []string{"2001:db8:1:2::1", "2001:db8:1:2:aaaa::1"} {
		if _, ok := th.reserve(p.clientAddr(requestFrom(peer)), now); !ok {
			t.Fatalf("failure %d of a burst of 2 refused", i+1)
		}
	}
	if _, ok := th.reserve(p.clientAddr(requestFrom("10.0.0.1", "2001:db8:1:2:ffff::9")), now); ok {
		t.Error("a third address of the same /64, forwarded by a trusted proxy, had its own budget")
	}
	if _, ok := th.reserve(p.clientAddr(requestFrom("2001:db8:1:3::1")), now); !ok {
		t.Error("the next /64 was refused")
	}
}
