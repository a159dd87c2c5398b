package proxy

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/internal/gcra"
)

func TestAuthThrottleReservesAndRefunds(t *testing.T) {
	t.Parallel()
	th, err := newAuthThrottle(gcra.Limit{Interval: time.Second, Burst: 3}, 16)
	if err != nil {
		t.Fatal(err)
	}
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	now := time.Unix(1_700_000_000, 0).UnixNano()
	for i := range 3 {
		if _, ok := th.reserve(a, now); !ok {
			t.Fatalf("reservation %d of a burst of 3 refused", i+1)
		}
	}
	retry, ok := th.reserve(a, now)
	if ok || retry != time.Second {
		t.Fatalf("4th reservation: ok=%v retry=%v, want refused for 1s", ok, retry)
	}
	if _, ok := th.reserve(b, now); !ok {
		t.Fatal("another address refused")
	}
	th.refund(a) // the last lookup found its key
	if _, ok := th.reserve(a, now); !ok {
		t.Fatal("refused after a refund")
	}
	th.failed(a, now) // out of budget: not charged further
	if _, ok := th.reserve(a, now+int64(time.Second)); !ok {
		t.Fatal("refused after the budget refilled: a failure beyond the budget was charged")
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name, peer, xff, want string
	}{
		{"untrusted peer, forwarded header ignored", "192.0.2.7", "198.51.100.1", "192.0.2.7"},
		{"trusted peer, client before it", "10.1.2.3", "198.51.100.1", "198.51.100.1"},
		{"trusted chain skipped from the right", "10.1.2.3", "203.0.113.9, 198.51.100.1, 10.9.9.9", "198.51.100.1"},
		{"only trusted hops: the peer", "10.1.2.3", "10.2.2.2", "10.1.2.3"},
		{"malformed hop: the peer", "10.1.2.3", "198.51.100.1, nonsense", "10.1.2.3"},
		{"no header: the peer", "10.1.2.3", "", "10.1.2.3"},
		{"IPv6 counts by /64", "2001:db8:1:2:aaaa::1", "", "2001:db8:1:2::"},
		{"IPv4-mapped IPv6 is IPv4", "::ffff:192.0.2.7", "", "192.0.2.7"},
		{"forwarded IPv6 by /64", "fd00::1", "2001:db8:5:6:7::8", "2001:db8:5:6::"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &Proxy{opts: Options{TrustedProxies: trusted}}
			var req fasthttp.Request
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, &net.TCPAddr{IP: net.ParseIP(tt.peer), Port: 1234}, nil)
			if got := p.clientAddr(&ctx); got.String() != tt.want {
				t.Errorf("clientAddr = %s, want %s", got, tt.want)
			}
		})
	}
}

func FuzzForwardedFor(f *testing.F) {
	for _, s := range []string{"198.51.100.1", "a, b, 10.0.0.1", ",,,", " 10.0.0.1 ,", "::1, fe80::1%eth0"} {
		f.Add(s)
	}
	p := &Proxy{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	f.Fuzz(func(t *testing.T, v string) {
		a, ok := p.forwardedFor([]byte(v))
		if ok && (!a.IsValid() || isTrusted(a, p.opts.TrustedProxies)) {
			t.Fatalf("forwardedFor(%q) = %v: invalid or a trusted proxy", v, a)
		}
	})
}
