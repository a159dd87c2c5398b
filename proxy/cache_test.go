package proxy

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/benchmarks/origin"
	"reportgate/upstream"
)

// poisoned is the fixture's upstream with a cache holding, for every
// read, an answer outside the key's scope until Forget drops it: what a
// cached answer looks like to a key whose scope no longer covers it.
type poisoned struct {
	*upstream.Shared
	body    []byte
	dropped atomic.Int32
}

func (p *poisoned) Forward(keyID string, req *fasthttp.Request, resp *fasthttp.Response) (upstream.Via, error) {
	if p.dropped.Load() == 0 {
		resp.Reset()
		resp.Header.SetContentType("application/json")
		resp.SetBody(p.body)
		return upstream.Cached, nil
	}
	return p.Shared.Forward(keyID, req, resp)
}

func (p *poisoned) Forget(*fasthttp.Request) { p.dropped.Add(1) }

// A cached answer is checked against the caller's scope like a fresh one:
// one the scope does not cover is never served; it is dropped from the
// cache and read again.
func TestCachedAnswerOutsideTheScopeIsNeverServed(t *testing.T) {
	f := newFixture(t, nil)
	f.warm(t, origin.ListPath, fasthttp.StatusOK) // the key and its scope resolved
	outside := []byte(`{"edges":[{"cursor":0,"node":{"id":999999,"name":"not yours"}}],"page_info":{"count":1,"has_next_page":false}}`)
	up := &poisoned{Shared: f.up, body: outside}
	f.p.up = up
	before := f.origin.Stats().Requests
	status, body := f.do(t, f.request(origin.ListPath))
	if status != fasthttp.StatusOK || bytes.Contains(body, []byte("999999")) {
		t.Fatalf("GET %s: %d %s, want the fresh answer, not the cached one outside the scope", origin.ListPath, status, body)
	}
	if !bytes.Equal(body, f.origin.Body(origin.ListPath)) {
		t.Errorf("body %s, want the origin's", body)
	}
	if up.dropped.Load() != 1 || f.origin.Stats().Requests-before != 1 {
		t.Errorf("forgotten %d times, origin asked %d times: want the entry dropped once and one fresh read",
			up.dropped.Load(), f.origin.Stats().Requests-before)
	}
}

// A fresh answer that fails is withheld (502), not read again.
func TestFreshAnswerOutsideTheScopeIsWithheld(t *testing.T) {
	f := newFixture(t, nil)
	up := &poisoned{Shared: f.up, body: []byte(`{"edges":[{"cursor":0,"node":{"id":999999}}],"page_info":{"count":1,"has_next_page":false}}`)}
	up.dropped.Store(1) // the poisoned answer comes fresh
	f.p.up = &freshPoison{up}
	if status, body := f.do(t, f.request(origin.ListPath)); status != fasthttp.StatusBadGateway || bytes.Contains(body, []byte("999999")) {
		t.Fatalf("%d %s, want 502 withheld", status, body)
	}
}

// freshPoison answers the poisoned body as if the upstream had sent it.
type freshPoison struct{ *poisoned }

func (p *freshPoison) Forward(_ string, _ *fasthttp.Request, resp *fasthttp.Response) (upstream.Via, error) {
	resp.Reset()
	resp.Header.SetContentType("application/json")
	resp.SetBody(p.body)
	return upstream.Sent, nil
}

// BenchmarkServeCached is BenchmarkServe with the response cache on: the
// answer comes from memory, and is verified like a fresh one.
func BenchmarkServeCached(b *testing.B) {
	f := newFixtureWith(b, nil, upstream.SharedOptions{CacheTTL: time.Hour})
	for _, r := range routes {
		b.Run(r.name, func(b *testing.B) {
			f.warm(b, r.target, fasthttp.StatusOK)
			s := f.stepper(f.request(r.target))
			before := f.origin.Stats().Requests
			b.ReportAllocs()
			for b.Loop() {
				if status := s.serve(); status != fasthttp.StatusOK {
					b.Fatalf("status %d: %s", status, s.ctx.Response.Body())
				}
			}
			if n := f.origin.Stats().Requests - before; n != 0 {
				b.Fatalf("%d requests reached the origin", n)
			}
		})
	}
}

// BenchmarkServeCacheMiss is BenchmarkServe with the cache on but every
// answer expired by the next request (the cache's clock jumps a TTL per
// reading): what the cache costs a request it cannot serve (the answer
// copied out of the exchange and stored, the previous one dropped).
func BenchmarkServeCacheMiss(b *testing.B) {
	var ticks atomic.Int64
	jumping := func() time.Time { return time.Unix(1_700_000_000+ticks.Add(1), 0) }
	f := newFixtureWith(b, nil, upstream.SharedOptions{CacheTTL: time.Second, Now: jumping})
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
			if st := f.up.Stats(); st.Cached != 0 {
				b.Fatalf("%d answers came from the cache", st.Cached)
			}
		})
	}
}
