package proxy

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/benchmarks/origin"
	"reportgate/registry"
)

// Benchmarks of the pipeline's unexported steps and of the whole handler,
// in memory (no sockets): the user-space cost of the gateway. The load
// harness (benchmarks/load) measures it with sockets, against nginx.
// Results: benchmarks/RESULTS.md.

// routes are the hot-path requests the benchmarks use: a scoped list whose
// scope is injected, an owner-checked detail and a path-checked detail.
var routes = []struct{ name, target string }{
	{"inject", origin.ListPath},
	{"owner", origin.TransactionPath},
	{"path", origin.AccountPath},
}

// stepper calls the pipeline's steps on a RequestCtx outside any server.
type stepper struct {
	p    *Proxy
	tmpl *fasthttp.Request
	ctx  fasthttp.RequestCtx
	st   state
}

func (f *fixture) stepper(req *fasthttp.Request) *stepper {
	s := &stepper{p: f.p, tmpl: req}
	s.ctx.Init(req, nil, nil)
	return s
}

// load puts a fresh copy of the partner's request in the context.
func (s *stepper) load() {
	s.tmpl.CopyTo(&s.ctx.Request)
	s.ctx.Response.Reset()
	s.st.reset(s.p.opts.Now())
	s.st.ctx = context.Background() // the pipeline gives each step its span's context
}

// untilForward runs reject → authenticate → authorize → rewrite: all the
// gateway does before the upstream sees the request.
func (s *stepper) untilForward() error {
	s.load()
	if err := s.p.reject(&s.ctx, &s.st); err != nil {
		return err
	}
	if err := s.p.authenticate(&s.ctx, &s.st); err != nil {
		return err
	}
	if err := s.p.authorize(&s.ctx, &s.st); err != nil {
		return err
	}
	s.p.rewrite(&s.ctx, &s.st)
	return nil
}

// serve runs the whole handler, access log included when enabled.
func (s *stepper) serve() int {
	s.tmpl.CopyTo(&s.ctx.Request)
	s.ctx.Response.Reset()
	s.p.serve(&s.ctx)
	return s.ctx.Response.StatusCode()
}

// BenchmarkUntilForward: the cache-hit path of one request up to the
// upstream call (request copy included; see BenchmarkRequestCopy).
func BenchmarkUntilForward(b *testing.B) {
	f := newFixture(b, nil)
	for _, r := range routes {
		b.Run(r.name, func(b *testing.B) {
			f.warm(b, r.target, fasthttp.StatusOK)
			s := f.stepper(f.request(r.target))
			b.ReportAllocs()
			for b.Loop() {
				if err := s.untilForward(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRequestCopy is the copy BenchmarkUntilForward makes per request.
func BenchmarkRequestCopy(b *testing.B) {
	f := newFixture(b, nil)
	s := f.stepper(f.request(origin.ListPath))
	b.ReportAllocs()
	for b.Loop() {
		s.load()
	}
}

func BenchmarkReject(b *testing.B) {
	f := newFixture(b, nil)
	s := f.stepper(f.request(origin.ListPath + "?page=2&page_size=50"))
	s.load()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.p.reject(&s.ctx, &s.st); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate is step 2 on a cache hit, on a well-formed unknown
// key (negative cache) and on a malformed key (refused offline).
func BenchmarkAuthenticate(b *testing.B) {
	f := newFixture(b, nil)
	unknown, err := registry.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	malformed := f.secret[:len(f.secret)-1] + "0"
	if f.secret[len(f.secret)-1] == '0' {
		malformed = f.secret[:len(f.secret)-1] + "1"
	}
	for _, c := range []struct {
		name, key string
		ok        bool
	}{{"hit", f.secret, true}, {"negative", unknown, false}, {"malformed", malformed, false}} {
		b.Run(c.name, func(b *testing.B) {
			s := f.stepper(f.requestWithKey(origin.ListPath, c.key))
			s.load()
			if err := s.p.reject(&s.ctx, &s.st); err != nil {
				b.Fatal(err)
			}
			_ = s.p.authenticate(&s.ctx, &s.st) // fills the cache, positive or negative
			b.ReportAllocs()
			for b.Loop() {
				if err := s.p.authenticate(&s.ctx, &s.st); (err == nil) != c.ok {
					b.Fatalf("authenticate = %v", err)
				}
			}
		})
	}
}

// BenchmarkAuthorize is step 4 on a cache hit: the scope from the resolver's
// cache and the strategy (the injected filter, an owner or a path check).
func BenchmarkAuthorize(b *testing.B) {
	f := newFixture(b, nil)
	for _, r := range routes {
		b.Run(r.name, func(b *testing.B) {
			f.warm(b, r.target, fasthttp.StatusOK)
			s := f.stepper(f.request(r.target))
			s.load()
			if err := s.p.reject(&s.ctx, &s.st); err != nil {
				b.Fatal(err)
			}
			if err := s.p.authenticate(&s.ctx, &s.st); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				s.st.out = s.st.out[:0]
				if err := s.p.authorize(&s.ctx, &s.st); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScanHeaders is the one pass over a partner's request headers.
func BenchmarkScanHeaders(b *testing.B) {
	f := newFixture(b, nil)
	req := f.request(origin.ListPath)
	req.Header.Set("Connection", "keep-alive")
	var s headerScan
	b.ReportAllocs()
	for b.Loop() {
		scanHeaders(&req.Header, &s, false)
	}
}

// BenchmarkRewrite is step 5: delete what the scan marked, add the
// operator's credentials and the checked target. After the first
// iteration the deleted headers are absent, which costs the same scan.
func BenchmarkRewrite(b *testing.B) {
	f := newFixture(b, nil)
	s := f.stepper(f.request(origin.ListPath))
	s.load()
	if err := s.p.reject(&s.ctx, &s.st); err != nil {
		b.Fatal(err)
	}
	s.st.out = append(s.st.out, "entity=1"...)
	b.ReportAllocs()
	for b.Loop() {
		s.st.uri = s.st.uri[:0]
		s.p.rewrite(&s.ctx, &s.st)
	}
}

// BenchmarkScrubResponse is the hop-by-hop check of the upstream's answer:
// a typical one, and one with hop-by-hop headers to delete.
func BenchmarkScrubResponse(b *testing.B) {
	body := origin.New().Body(origin.ListPath)
	for _, c := range []struct {
		name  string
		extra []string
	}{
		{"clean", nil},
		{"hop-by-hop", []string{"Connection", "keep-alive", "Keep-Alive", "timeout=5"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var resp, tmpl fasthttp.Response
			var scan headerScan
			tmpl.Header.SetContentType("application/json")
			tmpl.Header.Set("Date", time.Now().UTC().Format(time.RFC1123))
			tmpl.Header.Set("X-Request-Id", "4f1c2d")
			for i := 0; i < len(c.extra); i += 2 {
				tmpl.Header.Set(c.extra[i], c.extra[i+1])
			}
			tmpl.SetBodyRaw(body)
			b.ReportAllocs()
			for b.Loop() {
				tmpl.Header.CopyTo(&resp.Header)
				scrubResponse(&resp.Header, &scan)
			}
		})
	}
}

// BenchmarkServe is the whole handler, called directly: every step, the
// upstream exchange over an in-memory connection (the origin's work
// included) and the verification of its body; no access log.
func BenchmarkServe(b *testing.B) {
	f := newFixture(b, nil)
	for _, r := range routes {
		b.Run(r.name, func(b *testing.B) {
			f.warm(b, r.target, fasthttp.StatusOK)
			s := f.stepper(f.request(r.target))
			b.ReportAllocs()
			for b.Loop() {
				if status := s.serve(); status != fasthttp.StatusOK {
					b.Fatalf("status %d: %s", status, s.ctx.Response.Body())
				}
			}
		})
	}
	b.Run("invalid-key", func(b *testing.B) {
		unknown, _ := registry.GenerateKey()
		s := f.stepper(f.requestWithKey(origin.ListPath, unknown))
		b.ReportAllocs()
		for b.Loop() {
			if status := s.serve(); status != fasthttp.StatusUnauthorized {
				b.Fatalf("status %d", status)
			}
		}
	})
}

// BenchmarkAccessLog is step 8 alone: the counters and one JSON line to
// io.Discard, through slog and appended by hand (Options.AccessLog).
func BenchmarkAccessLog(b *testing.B) {
	for _, c := range []struct {
		name string
		edit func(*Options)
	}{
		{"slog", func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil)) }},
		{"hand", func(o *Options) { o.AccessLog = io.Discard }},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := newFixture(b, func(o *Options) { o.DisableAccessLog = false; c.edit(o) })
			f.warm(b, origin.ListPath, fasthttp.StatusOK)
			s := f.stepper(f.request(origin.ListPath))
			if err := s.untilForward(); err != nil {
				b.Fatal(err)
			}
			s.ctx.Response.SetStatusCode(fasthttp.StatusOK)
			b.ReportAllocs()
			for b.Loop() {
				s.p.record(&s.ctx, &s.st)
			}
		})
	}
}

// BenchmarkHandler is the whole proxy as a partner sees it: a client on an
// in-memory listener, the fasthttp server, the handler, and the origin on
// another in-memory listener. "direct" is the same client against the
// origin alone: the difference is what the gateway adds.
func BenchmarkHandler(b *testing.B) {
	f := newFixture(b, nil)
	for _, r := range routes {
		b.Run(r.name, func(b *testing.B) {
			f.warm(b, r.target, fasthttp.StatusOK)
			req := f.request(r.target)
			resp := fasthttp.AcquireResponse()
			defer fasthttp.ReleaseResponse(resp)
			b.ReportAllocs()
			for b.Loop() {
				if err := f.client.Do(req, resp); err != nil || resp.StatusCode() != fasthttp.StatusOK {
					b.Fatalf("%v %d", err, resp.StatusCode())
				}
			}
		})
	}
	b.Run("direct", func(b *testing.B) {
		req := &fasthttp.Request{}
		req.SetRequestURI(origin.ListTarget)
		req.Header.SetHost("origin")
		req.Header.Set("X-Ledger-API-User", origin.APIUser)
		resp := fasthttp.AcquireResponse()
		defer fasthttp.ReleaseResponse(resp)
		b.ReportAllocs()
		for b.Loop() {
			if err := f.direct.Do(req, resp); err != nil || resp.StatusCode() != fasthttp.StatusOK {
				b.Fatalf("%v %d", err, resp.StatusCode())
			}
		}
	})
}
