package e2e_test

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// front is a real HTTP server between the gateway and the simulator, as a
// load balancer or the upstream's own front end would be: it forwards
// every request to the simulator, except those a fault answers itself, and
// closes keep-alive connections idle longer than its idle timeout. It
// counts the connections it accepted and closed.
type front struct {
	url            string
	opened, closed atomic.Int64

	mu    sync.Mutex
	fault func(path string) *faultAnswer // nil forwards everything
}

// faultAnswer is what the front answers instead of the simulator.
type faultAnswer struct {
	status int
	header map[string]string
	// body is answered as is; "{key}" in it becomes the X-Ledger-API-Key
	// the front received (an upstream echoing the credentials).
	body string
	// padding adds this many bytes of X-Padding-N headers (500 bytes
	// each) to the simulator's own answer, when status is 0.
	padding int
}

func startFront(t *testing.T, simURL string, idle time.Duration) *front {
	t.Helper()
	u, err := url.Parse(simURL)
	if err != nil {
		t.Fatal(err)
	}
	sim := &fasthttp.HostClient{Addr: u.Host, DisablePathNormalizing: true}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &front{url: "http://" + ln.Addr().String()}
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) { f.serve(ctx, sim) }, IdleTimeout: idle,
		ConnState: func(_ net.Conn, s fasthttp.ConnState) {
			switch s {
			case fasthttp.StateNew:
				f.opened.Add(1)
			case fasthttp.StateClosed:
				f.closed.Add(1)
			}
		},
	}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown below
	t.Cleanup(func() { _ = srv.Shutdown(); sim.CloseIdleConnections() })
	return f
}

// answer makes the front answer requests whose path rule returns non-nil.
func (f *front) answer(rule func(path string) *faultAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = rule
}

// idle reports whether every connection the front accepted is closed.
func (f *front) idle() bool { return f.opened.Load() == f.closed.Load() }

func (f *front) serve(ctx *fasthttp.RequestCtx, sim *fasthttp.HostClient) {
	f.mu.Lock()
	rule := f.fault
	f.mu.Unlock()
	var a *faultAnswer
	if rule != nil {
		a = rule(string(ctx.Path()))
	}
	if a != nil && a.status != 0 {
		ctx.SetStatusCode(a.status)
		for k, v := range a.header {
			ctx.Response.Header.Set(k, v)
		}
		ctx.SetBodyString(strings.ReplaceAll(a.body, "{key}", string(ctx.Request.Header.Peek("X-Ledger-API-Key"))))
		return
	}
	if err := sim.Do(&ctx.Request, &ctx.Response); err != nil {
		ctx.Error("front: "+err.Error(), fasthttp.StatusBadGateway)
		return
	}
	if a != nil {
		for i := 0; i*500 < a.padding; i++ {
			ctx.Response.Header.Set("X-Padding-"+strconv.Itoa(i), strings.Repeat("p", 480))
		}
	}
}

// at answers fa for requests to exactly path.
func at(path string, fa *faultAnswer) func(string) *faultAnswer {
	return func(p string) *faultAnswer {
		if p == path {
			return fa
		}
		return nil
	}
}
