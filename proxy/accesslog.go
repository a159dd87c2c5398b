package proxy

import (
	"context"
	"log/slog"

	"github.com/valyala/fasthttp"
)

// accessLog writes one line per request (step 8): the key id (never the
// key), the route template (never the raw path, which may carry ids of
// other scopes' objects), status, decision and latencies.
func (p *Proxy) accessLog(ctx *fasthttp.RequestCtx, st *state) {
	if p.opts.DisableAccessLog {
		return
	}
	route, keyID := "unmatched", ""
	if st.ep != nil {
		route = st.ep.Template
	}
	if st.who != nil {
		keyID = st.who.ID
	}
	p.opts.Logger.LogAttrs(context.Background(), slog.LevelInfo, "request",
		slog.String("key_id", keyID),
		slog.String("method", string(ctx.Method())),
		slog.String("route", route),
		slog.Int("status", ctx.Response.StatusCode()),
		slog.String("decision", st.decision),
		slog.Int64("duration_us", p.opts.Now().Sub(st.start).Microseconds()),
		slog.Int64("upstream_us", st.upStart.Microseconds()),
	)
}
