package gateway

import (
	"net/http"

	"reportgate/console"
	"reportgate/registry"
)

// console serves the admin console at / on the admin listener, over the
// same registry, upstream client and scope resolver as the API; approver
// notifications go out for requests filed in either.
func (g *Gateway) console(mux *http.ServeMux) error {
	opts := console.Options{
		Registry: g.reg, Upstream: g.up, Scopes: g.resolver, Now: g.now, Logger: g.log,
		Sessions: registry.SessionTimeouts{Idle: g.cfg.ConsoleSessionIdle, Absolute: g.cfg.ConsoleSessionMax},
	}
	if g.cfg.ApproverWebhookURL != "" {
		opts.Filed = g.notifyApprovers
	}
	c, err := console.New(opts)
	if err != nil {
		return err
	}
	c.Register(mux)
	return nil
}
