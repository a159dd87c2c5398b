package gateway

import (
	"context"
	"net/http"

	"reportgate/admin"
	"reportgate/console"
	"reportgate/registry"
)

// console serves the admin console at / on the admin listener, over the
// same registry, upstream client and scope resolver as the API; approver
// notifications go out for requests filed in either, and suspensions go
// through the API's actions (effective here before the answer).
func (g *Gateway) console(mux *http.ServeMux, filed func(context.Context, registry.Request), actions *admin.KeyActions) error {
	c, err := console.New(console.Options{
		Registry: g.reg, Upstream: g.shared, Scopes: g.policy.Resolver(), Now: g.now, Logger: g.log, Filed: filed,
		ClientCertBindings: g.cfg.ClientCAs != nil, TLSProxies: g.cfg.TrustedPrefixes,
		Actions:  actions,
		Sessions: registry.SessionTimeouts{Idle: g.cfg.ConsoleSessionIdle, Absolute: g.cfg.ConsoleSessionMax},
	})
	if err != nil {
		return err
	}
	c.Register(mux)
	return nil
}
