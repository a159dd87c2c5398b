// Package gatewaytest starts whole gateways for tests in other packages
// (the end-to-end suite, the console's browser tests).
package gatewaytest

import (
	"context"
	"testing"
	"time"

	"reportgate/config"
	"reportgate/internal/gateway"
)

// Start builds and starts a gateway from cfg, shut down when the test
// ends (5 s of grace).
func Start(t testing.TB, cfg config.Config, opts gateway.Options) *gateway.Gateway {
	t.Helper()
	g, err := gateway.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = g.Shutdown(ctx)
	})
	return g
}
