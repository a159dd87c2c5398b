package proxy

import (
	"context"
	"log/slog"

	"github.com/valyala/fasthttp"

	"reportgate/upstream"
)

// record counts the request and writes its access-log line (step 8): the
// key id (never the key), the route template (never the raw path, which
// may carry ids of other scopes' objects), status, decision and latencies.
func (p *Proxy) record(ctx *fasthttp.RequestCtx, st *state) {
	route := p.route(st)
	status := ctx.Response.StatusCode()
	p.stats.inc(StatKey{Route: route, Method: p.method(ctx), Decision: st.decision, Status: status, class: st.class})
	if p.opts.DisableAccessLog {
		return
	}
	keyID := ""
	if st.who != nil {
		keyID = st.who.ID
	}
	p.opts.Logger.LogAttrs(context.Background(), slog.LevelInfo, "request",
		slog.String("key_id", keyID),
		slog.String("method", string(ctx.Method())),
		slog.String("route", route),
		slog.Int("status", status),
		slog.String("decision", st.decision),
		slog.Int64("duration_us", p.opts.Now().Sub(st.start).Microseconds()),
		slog.Int64("upstream_us", st.upStart.Microseconds()),
		slog.String("upstream", viaName(st)),
	)
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
