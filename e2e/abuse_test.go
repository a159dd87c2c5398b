package e2e_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reportgate/config"
	"reportgate/internal/ledgersim"
	"reportgate/internal/testkit"
	"reportgate/registry"
)

// TestFloodOfRandomKeys: a client flooding the gateway with well-formed
// random keys (they pass the offline checksum, so each would cost a Redis
// lookup) is held to its failed-authentication budget, and a valid key's
// latency stays within the bound docs/rate-limits.md publishes.
func TestFloodOfRandomKeys(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	// One failure a minute after a burst of 10: the budget does not refill
	// during the test, so what reaches Redis is exactly the burst.
	const failBurst = 10
	g := w.gateway(func(c *config.Config) {
		c.FailedAuthLimit, c.FailedAuthBurst = "1/m", failBurst
	}, nil)
	_, valid := w.key(1)
	c := client("")
	latencies := func(d time.Duration) []time.Duration {
		var out []time.Duration
		for end := time.Now().Add(d); time.Now().Before(end); {
			s := fire(t, c, g.ProxyAddr(), valid, "/entities")
			if s.status != http.StatusOK {
				t.Fatalf("valid key: %d %s", s.status, s.body)
			}
			out = append(out, s.took)
		}
		return out
	}
	base := latencies(time.Second)

	const flooders = 4
	stop := make(chan struct{})
	var unauthorized, throttled, other atomic.Int64
	var wg sync.WaitGroup
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }); wg.Wait() }
	t.Cleanup(halt) // a Fatalf below must not leave flooders calling t after the test
	start := time.Now()
	for range flooders {
		wg.Go(func() {
			fc := client("")
			for {
				select {
				case <-stop:
					return
				default:
				}
				key, _ := registry.GenerateKey()
				switch s := fire(t, fc, g.ProxyAddr(), key, "/entities"); s.status {
				case http.StatusUnauthorized:
					unauthorized.Add(1)
				case 420:
					throttled.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	testkit.WaitFor(t, 10*time.Second, "the flood is not throttled yet", func() bool { return throttled.Load() > 0 })
	flooded := latencies(2 * time.Second)
	// A key the replica has not seen yet waits for the budget from the
	// flooding address, is looked up from another address, and is then
	// cached for every address.
	_, fresh := w.key(2)
	fromFlooder := fire(t, client(""), g.ProxyAddr(), fresh, "/entities")
	fromElsewhere := fire(t, client("127.0.0.2"), g.ProxyAddr(), fresh, "/entities")
	cachedFromFlooder := fire(t, client(""), g.ProxyAddr(), fresh, "/entities")
	halt()
	elapsed := time.Since(start).Seconds()

	p := func(ds []time.Duration, q float64) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[int(float64(len(ds)-1)*q)]
	}
	lookups := unauthorized.Load()
	t.Logf("flood: %d answered 401 (a Redis lookup each), %d refused 420 without Redis, %d other, in %.1fs",
		lookups, throttled.Load(), other.Load(), elapsed)
	t.Logf("valid key: p50 %v p99 %v alone (%d requests); p50 %v p99 %v under the flood (%d requests)",
		p(base, .5), p(base, .99), len(base), p(flooded, .5), p(flooded, .99), len(flooded))
	if lookups > failBurst+1 {
		t.Errorf("%d random keys reached Redis in %.1fs, want at most %d (the burst, and one a minute)", lookups, elapsed, failBurst+1)
	}
	if other.Load() != 0 {
		t.Errorf("%d flood requests answered neither 401 nor 420", other.Load())
	}
	// The published bound (docs/rate-limits.md): p99 of a cached key under
	// this flood below 50 ms on the 2-core test machine, or ten times its
	// p99 alone when other tests load the machine that much.
	if q, bound := p(flooded, .99), slowdown*max(50*time.Millisecond, 10*p(base, .99)); q > bound {
		t.Errorf("valid key p99 under the flood %v, want below %v", q, bound)
	}
	if fromElsewhere.status != http.StatusOK {
		t.Errorf("new key from another address: %d %s", fromElsewhere.status, fromElsewhere.body)
	}
	if fromFlooder.status != 420 || fromFlooder.header.Get("Retry-After") == "" {
		t.Errorf("new key from the flooding address: %d %v %s, want 420 with Retry-After", fromFlooder.status, fromFlooder.header, fromFlooder.body)
	}
	if cachedFromFlooder.status != http.StatusOK {
		t.Errorf("the same key, now cached, from the flooding address: %d %s", cachedFromFlooder.status, cachedFromFlooder.body)
	}
}

// cutOff opens a connection, writes head, then trickles drip every 50ms,
// and returns how long the server took to close the connection. What the
// server wrote before closing, if anything, is validated as the answer to
// a request the spec refuses (one it could not read whole).
func cutOff(t *testing.T, addr, head, drip string) time.Duration {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	var written bytes.Buffer
	// Deferred first, so run after the connection is closed: the copy
	// below has returned by then.
	defer func() { <-closed; checkBytes(t, addr, head, specRefuses, written.Bytes()) }()
	defer conn.Close()
	start := time.Now()
	go func() {
		defer close(closed)
		_, _ = io.Copy(&written, conn) // returns when the server closes
	}()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			return time.Since(start)
		case <-tick.C:
			if time.Since(start) > 5*time.Second {
				t.Fatal("the server still reads a slow client after 5s")
			}
			_, _ = io.WriteString(conn, drip) // fails once the server closed
		}
	}
}

// TestSlowClientsCutOff: a client trickling its headers (slowloris) or its
// body is disconnected once the read timeout passes, however steadily it
// sends; so is an idle keep-alive connection after the idle timeout.
func TestSlowClientsCutOff(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	const readTimeout = 300 * time.Millisecond
	g := w.gateway(func(c *config.Config) { c.ReadTimeout, c.IdleTimeout = readTimeout, readTimeout }, nil)
	_, secret := w.key(1)
	tests := []struct{ name, head, drip string }{
		{"slow headers", "GET /entities HTTP/1.1\r\nHost: gw\r\n", "X-A: b\r\n"},
		{"slow body", "PUT /notifications/configuration HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n" +
			"X-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\nContent-Length: 1000\r\n\r\n{", " "},
		{"silent connection", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := cutOff(t, g.ProxyAddr(), tt.head, tt.drip)
			if d < readTimeout-50*time.Millisecond || d > readTimeout+time.Second {
				t.Errorf("cut off after %v, want about the read timeout %v", d, readTimeout)
			}
		})
	}
	t.Run("idle keep-alive", func(t *testing.T) {
		conn, err := net.Dial("tcp", g.ProxyAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		request := "GET /entities HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n"
		_, _ = io.WriteString(conn, request)
		if _, err := readAnswer(t, br, g.ProxyAddr(), request, specAllows); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := br.ReadByte(); err == nil || time.Since(start) > readTimeout+time.Second {
			t.Errorf("idle connection: read %v after %v, want closed after about %v", err, time.Since(start), readTimeout)
		}
	})
}

// TestRequestSizeAndConnectionLimits: oversized headers get 431, oversized
// bodies 413, and connections beyond the per-address cap 429.
func TestRequestSizeAndConnectionLimits(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(func(c *config.Config) {
		c.MaxHeaderBytes, c.MaxBodyBytes, c.MaxConnsPerIP = 2048, 1024, 3
	}, nil)
	_, secret := w.key(1)
	auth := "X-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n"
	a := raw(t, g.ProxyAddr(), "GET /entities HTTP/1.1\r\nHost: gw\r\nX-Pad: "+strings.Repeat("a", 3000)+"\r\n"+auth+"\r\n")
	if a.status != http.StatusRequestHeaderFieldsTooLarge || a.json(t)["status_code"] != float64(431) {
		t.Errorf("3 KB of headers: %d %s, want 431 in the Error shape", a.status, a.body)
	}
	a = rawRefused(t, g.ProxyAddr(), "PUT /notifications/configuration HTTP/1.1\r\nHost: gw\r\nContent-Length: 2000\r\n"+auth+"\r\n"+strings.Repeat("a", 2000))
	if a.status != http.StatusRequestEntityTooLarge || a.json(t)["status_code"] != float64(413) {
		t.Errorf("2 KB body: %d %s, want 413 in the Error shape", a.status, a.body)
	}
	// Three keep-alive connections, each known to the server by an answer.
	for range 3 {
		conn, err := net.Dial("tcp", g.ProxyAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		request := "GET /entities HTTP/1.1\r\nHost: gw\r\n" + auth + "\r\n"
		_, _ = io.WriteString(conn, request)
		a, err := readAnswer(t, bufio.NewReader(conn), g.ProxyAddr(), request, specAllows)
		if err != nil || a.status != http.StatusOK {
			t.Fatalf("held connection: %d %s %v", a.status, a.body, err)
		}
	}
	if a := raw(t, g.ProxyAddr(), "GET /entities HTTP/1.1\r\nHost: gw\r\n"+auth+"\r\n"); a.status != http.StatusTooManyRequests {
		t.Errorf("a 4th connection from one address: %d, want 429", a.status)
	}
}
