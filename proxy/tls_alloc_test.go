//go:build !race

package proxy

import (
	"testing"

	"reportgate/internal/testkit"
	"reportgate/keycache"
	"reportgate/registry"
)

// TestBoundKeyCheckAllocatesNothing extends the hot path's pin to a key
// bound to a client certificate: its connection's certificate is read once,
// then each request's check allocates nothing.
func TestBoundKeyCheckAllocatesNothing(t *testing.T) {
	ca := testkit.NewCA(t, "alloc CA")
	client := ca.Issue(t, testkit.LeafOptions{Client: true})
	c := dialPair(t, ca, &client)
	who := &keycache.Principal{ID: "key_bound", ClientCert: registry.CertFingerprint(client.Fingerprint)}
	if !c.p.presented(c.ctx, who) {
		t.Fatal("the bound key was refused with its certificate")
	}
	if allocs := testing.AllocsPerRun(1000, func() { c.p.presented(c.ctx, who) }); allocs != 0 {
		t.Errorf("%v allocations per check of a bound key, want 0", allocs)
	}
}
