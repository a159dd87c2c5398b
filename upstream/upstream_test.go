package upstream

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/internal/testkit"
)

const testKey = "op-secret-0123456789"

// origin is a real fasthttp server on a loopback port, counting the
// connections it accepted and closed.
type origin struct {
	url            *url.URL
	opened, closed atomic.Int64
}

func startOrigin(t *testing.T, handler fasthttp.RequestHandler, idle time.Duration) *origin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &origin{url: &url.URL{Scheme: "http", Host: ln.Addr().String()}}
	srv := &fasthttp.Server{Handler: handler, IdleTimeout: idle, ConnState: func(_ net.Conn, s fasthttp.ConnState) {
		switch s {
		case fasthttp.StateNew:
			o.opened.Add(1)
		case fasthttp.StateClosed:
			o.closed.Add(1)
		}
	}}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown below
	t.Cleanup(func() { _ = srv.Shutdown() })
	return o
}

func newClient(t *testing.T, u *url.URL, edit func(*Options)) *Client {
	t.Helper()
	o := Options{URL: u, APIUser: "operator", APIKey: testKey, Timeout: 5 * time.Second, IdleTimeout: time.Minute}
	if edit != nil {
		edit(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
	}{
		{"no URL", Options{APIUser: "operator"}},
		{"no user", Options{URL: &url.URL{Scheme: "http", Host: "h"}}},
		{"ftp", Options{URL: &url.URL{Scheme: "ftp", Host: "h"}, APIUser: "operator"}},
		{"no host", Options{URL: &url.URL{Scheme: "https"}, APIUser: "operator"}},
	}
	for _, tt := range tests {
		if _, err := New(tt.o); err == nil {
			t.Errorf("%s: New accepted %+v", tt.name, tt.o)
		}
	}
}

func TestPrepareAddsCredentialsHostAndScheme(t *testing.T) {
	t.Parallel()
	c := newClient(t, &url.URL{Scheme: "https", Host: "api.example:8443"}, nil)
	req := &fasthttp.Request{}
	req.SetRequestURI("/accounts?entity=1")
	c.Prepare(req)
	got := map[string]string{
		"user": string(req.Header.Peek("X-Ledger-API-User")), "key": string(req.Header.Peek("X-Ledger-API-Key")),
		"host": string(req.Header.Host()), "scheme": string(req.URI().Scheme()),
	}
	want := map[string]string{"user": "operator", "key": testKey, "host": "api.example:8443", "scheme": "https"}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s = %q, want %q", k, got[k], want[k])
		}
	}
}

// statusOrigin answers the status its path names, with the bodies and
// headers real upstreams send with them.
func statusOrigin(ctx *fasthttp.RequestCtx) {
	switch string(ctx.Path()) {
	case "/ok":
		ctx.SetBodyString(`{"id":1}`)
	case "/missing":
		ctx.SetStatusCode(404)
		ctx.SetBodyString(`{"message":"not found","name":"NotFound","status_code":404}`)
	case "/boom":
		ctx.SetStatusCode(500)
		// An upstream that echoes the request's credentials in its error.
		ctx.SetBodyString(`{"message":"internal error for key ` + string(ctx.Request.Header.Peek("X-Ledger-API-Key")) +
			"\\n\\u001b[31m\",\"name\":\"InternalServerError\",\"status_code\":500}")
	case "/lb":
		ctx.SetStatusCode(503)
		ctx.SetContentType("text/html")
		ctx.SetBodyString("<html><title>503 Service Unavailable</title>" + strings.Repeat("x", 1000) + "</html>")
	case "/slow-gw":
		ctx.SetStatusCode(504)
	case "/limited":
		ctx.SetStatusCode(420)
		ctx.Response.Header.Set("Retry-After", "7")
		ctx.SetBodyString(`{"message":"rate limit","name":"RateLimited","status_code":420}`)
	}
}

func TestFetchSortsAnswersFromFailures(t *testing.T) {
	t.Parallel()
	o := startOrigin(t, statusOrigin, 0)
	c := newClient(t, o.url, nil)
	ctx := context.Background()
	for _, tt := range []struct {
		path   string
		status int // the answer's, or the StatusError's
		failed bool
	}{
		{"/ok", 200, false}, {"/missing", 404, false},
		{"/boom", 500, true}, {"/lb", 503, true}, {"/slow-gw", 504, true}, {"/limited", 420, true},
	} {
		status, body, err := c.Fetch(ctx, tt.path)
		se, isStatus := errors.AsType[*StatusError](err)
		switch {
		case !tt.failed && (err != nil || status != tt.status || len(body) == 0):
			t.Errorf("Fetch %s = %d %q %v, want %d and a body", tt.path, status, body, err, tt.status)
		case tt.failed && (!isStatus || se.Status != tt.status || body != nil):
			t.Errorf("Fetch %s = %d %q %v, want a StatusError %d", tt.path, status, body, err, tt.status)
		}
	}
}

func TestDoFailsOnlyOn5xx(t *testing.T) {
	t.Parallel()
	o := startOrigin(t, statusOrigin, 0)
	c := newClient(t, o.url, nil)
	for path, want := range map[string]int{"/ok": 0, "/missing": 0, "/limited": 0, "/boom": 500, "/lb": 503, "/slow-gw": 504} {
		req, resp := &fasthttp.Request{}, &fasthttp.Response{}
		req.SetRequestURI(path)
		c.Prepare(req)
		err := c.Do(req, resp)
		se, _ := errors.AsType[*StatusError](err)
		switch {
		case want == 0 && err != nil:
			t.Errorf("Do %s: %v, want the answer (%d) for the caller", path, err, resp.StatusCode())
		case want != 0 && (se == nil || se.Status != want):
			t.Errorf("Do %s: %v, want a StatusError %d", path, err, want)
		}
	}
}

// The upstream's message is for a log line: bounded, printable, and without
// the operator's key even when the upstream echoes it.
func TestStatusErrorMessageIsSafeToLog(t *testing.T) {
	t.Parallel()
	o := startOrigin(t, statusOrigin, 0)
	c := newClient(t, o.url, nil)
	_, _, err := c.Fetch(context.Background(), "/boom")
	se, ok := errors.AsType[*StatusError](err)
	if !ok {
		t.Fatalf("Fetch /boom: %v, want a StatusError", err)
	}
	if strings.Contains(se.Error(), testKey) || !strings.Contains(se.Message, "internal error for key [redacted]") {
		t.Errorf("message %q: want the upstream's message with the key redacted", se.Message)
	}
	if strings.ContainsAny(se.Message, "\n\x1b") {
		t.Errorf("message %q carries control characters", se.Message)
	}
	_, _, err = c.Fetch(context.Background(), "/lb")
	if se, _ = errors.AsType[*StatusError](err); se == nil || len(se.Message) > maxMessageBytes || !strings.HasPrefix(se.Message, "<html><title>503") {
		t.Errorf("an HTML 503: %v, want its start, at most %d bytes", err, maxMessageBytes)
	}
	_, _, err = c.Fetch(context.Background(), "/limited")
	if se, _ = errors.AsType[*StatusError](err); se == nil || se.RetryAfter != 7*time.Second {
		t.Errorf("a 420: %v, want Retry-After 7s carried", err)
	}
}

// Regression (issue 16.7): a pooled connection the upstream closed while
// it was idle (its keep-alive timeout shorter than the gateway's) made the
// next request a 502. Three connections go idle; the origin closes them
// all; the next GET fails on the first, is retried once on a fresh
// connection (not on the second stale one), and succeeds.
func TestStaleIdleConnectionsAreRetriedOnAFreshOne(t *testing.T) {
	t.Parallel()
	var arrived sync.WaitGroup
	arrived.Add(3)
	release := make(chan struct{})
	o := startOrigin(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/together" {
			arrived.Done()
			<-release
		}
		ctx.SetBodyString(`{"id":1}`)
	}, 200*time.Millisecond)
	c := newClient(t, o.url, nil) // keeps idle connections a minute
	var done sync.WaitGroup
	for range 3 {
		done.Go(func() {
			if _, _, err := c.Fetch(context.Background(), "/together"); err != nil {
				t.Error(err)
			}
		})
	}
	arrived.Wait()
	close(release)
	done.Wait()
	testkit.WaitFor(t, 5*time.Second, "the origin never closed its idle connections",
		func() bool { return o.closed.Load() == 3 })
	status, _, err := c.Fetch(context.Background(), "/ok")
	if err != nil || status != 200 {
		t.Fatalf("GET after the origin closed the idle connections: %d %v, want 200", status, err)
	}
	if got := c.Retries(); got != 1 {
		t.Errorf("Retries() = %d, want 1", got)
	}
	if got := o.opened.Load(); got != 4 {
		t.Errorf("the origin saw %d connections, want 4 (3, then one fresh for the retry)", got)
	}
}

// rawOrigin accepts connections and hands each to serve, counting them.
func rawOrigin(t *testing.T, serve func(net.Conn)) (*url.URL, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int64
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			go func() {
				defer conn.Close()
				if _, err := http.ReadRequest(bufio.NewReader(conn)); err == nil {
					serve(conn)
				}
			}()
		}
	}()
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}, &n
}

// Only an exchange that got nothing of its answer is sent again, once.
func TestRetryOnlyBeforeTheFirstByte(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		serve func(net.Conn)
		conns int64
	}{
		{"closed before answering: retried once", func(net.Conn) {}, 2},
		{"cut inside the headers: not retried", func(c net.Conn) { c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Le")) }, 1},
		{"cut inside the body: not retried", func(c net.Conn) {
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, conns := rawOrigin(t, tt.serve)
			c := newClient(t, u, nil)
			if _, _, err := c.Fetch(context.Background(), "/x"); err == nil {
				t.Fatal("Fetch succeeded against an origin that never answers in full")
			}
			if got := conns.Load(); got != tt.conns {
				t.Errorf("the origin saw %d connections, want %d", got, tt.conns)
			}
		})
	}
}

// Regression (issue 16.7): an answer with more than 4 KiB of headers was a
// 502. Real ones (a load balancer's cookies, a CDN's policies) are served;
// beyond the buffer, ErrHeaderTooLarge, not retried.
func TestResponseHeaders(t *testing.T) {
	t.Parallel()
	o := startOrigin(t, func(ctx *fasthttp.RequestCtx) {
		n := 6 << 10
		if string(ctx.Path()) == "/huge" {
			n = DefaultMaxResponseHeaderBytes + 1024
		}
		for i := 0; n > 0; i++ {
			ctx.Response.Header.Add("Set-Cookie", "c"+strings.Repeat("v", 500))
			n -= 512
		}
		ctx.SetBodyString(`{"id":1}`)
	}, 0)
	c := newClient(t, o.url, nil)
	if status, _, err := c.Fetch(context.Background(), "/six-kib"); err != nil || status != 200 {
		t.Errorf("6 KiB of headers: %d %v, want 200", status, err)
	}
	before := o.opened.Load()
	if _, _, err := c.Fetch(context.Background(), "/huge"); !errors.Is(err, ErrHeaderTooLarge) {
		t.Errorf("headers over the buffer: %v, want ErrHeaderTooLarge", err)
	}
	if c.Retries() != 0 || o.opened.Load()-before > 1 {
		t.Errorf("an oversized answer was retried")
	}
}

// Abort ends an exchange in flight at once and refuses later ones.
func TestAbortEndsExchangesInFlight(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	o := startOrigin(t, func(*fasthttp.RequestCtx) {
		entered <- struct{}{}
		<-release
	}, 0)
	t.Cleanup(func() { close(release) }) // before the origin's Shutdown, which waits for the handler
	c := newClient(t, o.url, nil)
	errs := make(chan error, 1)
	go func() {
		_, _, err := c.Fetch(context.Background(), "/slow")
		errs <- err
	}()
	<-entered
	c.Abort()
	select {
	case err := <-errs:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("the exchange in flight ended with %v, want ErrClosed", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Abort did not end the exchange in flight")
	}
	if _, _, err := c.Fetch(context.Background(), "/slow"); !errors.Is(err, ErrClosed) {
		t.Errorf("Fetch after Abort: %v, want ErrClosed", err)
	}
	if got := o.opened.Load(); got != 1 {
		t.Errorf("the origin saw %d connections, want 1 (no retry after Abort)", got)
	}
}
