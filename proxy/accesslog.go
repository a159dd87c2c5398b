package proxy

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/upstream"
)

// record counts the request and writes its access-log line (step 8): the
// key id (never the key), the route template (never the raw path, which
// may carry ids of other scopes' objects), status, decision and latencies.
func (p *Proxy) record(ctx *fasthttp.RequestCtx, st *state) {
	route, method := p.route(st), p.method(ctx)
	status := ctx.Response.StatusCode()
	p.stats.inc(StatKey{Route: route, Method: method, Decision: st.decision, Status: status, class: st.class})
	if p.opts.DisableAccessLog {
		return
	}
	keyID := ""
	if st.who != nil {
		keyID = st.who.ID
	}
	now := p.opts.Now()
	if p.opts.AccessLog != nil {
		st.line = appendAccessLine(st.line[:0], now, keyID, method, route, st.decision, viaName(st), status,
			now.Sub(st.start), st.upStart)
		_, _ = p.opts.AccessLog.Write(st.line)
		return
	}
	p.opts.Logger.LogAttrs(context.Background(), slog.LevelInfo, "request",
		slog.String("key_id", keyID),
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.String("decision", st.decision),
		slog.Int64("duration_us", now.Sub(st.start).Microseconds()),
		slog.Int64("upstream_us", st.upStart.Microseconds()),
		slog.String("upstream", viaName(st)),
	)
}

// appendAccessLine appends one access-log line to b, in the shape
// slog.JSONHandler gives the same record (the same keys in the same order),
// without a slog record, attributes or a handler's pooled buffers: it
// allocates nothing (BenchmarkAccessLog). Every value is the gateway's own
// (a key id, a route template, a method label, a decision token), escaped
// all the same.
func appendAccessLine(b []byte, now time.Time, keyID, method, route, decision, via string, status int, took, upstream time.Duration) []byte {
	b = append(b, `{"time":"`...)
	b = now.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","key_id":`...)
	b = appendJSONString(b, keyID)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, method)
	b = append(b, `,"route":`...)
	b = appendJSONString(b, route)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"decision":`...)
	b = appendJSONString(b, decision)
	b = append(b, `,"duration_us":`...)
	b = strconv.AppendInt(b, took.Microseconds(), 10)
	b = append(b, `,"upstream_us":`...)
	b = strconv.AppendInt(b, upstream.Microseconds(), 10)
	b = append(b, `,"upstream":`...)
	b = appendJSONString(b, via)
	return append(b, "}\n"...)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control bytes escaped, other bytes as they are.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// viaName says how a forwarded request was answered: sent, coalesced (an
// identical read in flight answered it) or cached; "" when nothing was
// forwarded.
func viaName(st *state) string {
	switch {
	case !st.forwarded:
		return ""
	case st.via == upstream.Joined:
		return "coalesced"
	case st.via == upstream.Cached:
		return "cached"
	}
	return "sent"
}

func (p *Proxy) route(st *state) string { return st.req.Route() }

// method bounds the method label: the table's methods, else "OTHER".
func (p *Proxy) method(ctx *fasthttp.RequestCtx) string {
	switch m := ctx.Method(); string(m) {
	case "GET":
		return "GET"
	case "PUT":
		return "PUT"
	case "POST":
		return "POST"
	case "DELETE":
		return "DELETE"
	case "PATCH":
		return "PATCH"
	case "HEAD":
		return "HEAD"
	}
	return "OTHER"
}
