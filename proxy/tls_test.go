package proxy

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/internal/testkit"
	"reportgate/keycache"
	"reportgate/registry"
)

// tlsPair is one TLS connection through a tlsListener: the server's end as
// the handler sees it (in a RequestCtx), after the handshake.
type tlsPair struct {
	p   *Proxy
	ctx *fasthttp.RequestCtx
}

// dialPair connects to a tlsListener with client (nil: no certificate).
func dialPair(t *testing.T, ca *testkit.CA, client *testkit.Leaf) tlsPair {
	t.Helper()
	server := ca.Issue(t, testkit.LeafOptions{})
	p := &Proxy{peers: newPeers()}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &tlsListener{Listener: raw, peers: p.peers, cfg: &tls.Config{Certificates: []tls.Certificate{server.TLS},
		ClientCAs: ca.Pool(), ClientAuth: tls.VerifyClientCertIfGiven}}
	t.Cleanup(func() { ln.Close() })
	cfg := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
	if client != nil {
		cfg.Certificates = []tls.Certificate{client.TLS}
	}
	done := make(chan error, 1)
	go func() {
		c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err == nil {
			_, err = io.WriteString(c, "x")
			t.Cleanup(func() { c.Close() })
		}
		done <- err
	}()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err != nil { // the handshake, as fasthttp's first read
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx := &fasthttp.RequestCtx{}
	ctx.Init2(conn, nil, false)
	return tlsPair{p: p, ctx: ctx}
}

func TestBoundKeyNeedsItsCertificate(t *testing.T) {
	t.Parallel()
	ca := testkit.NewCA(t, "proxy CA")
	mine, other := ca.Issue(t, testkit.LeafOptions{Client: true}), ca.Issue(t, testkit.LeafOptions{Client: true})
	bound := &keycache.Principal{ID: "key_bound", ClientCert: registry.CertFingerprint(mine.Fingerprint)}
	free := &keycache.Principal{ID: "key_free"}
	for _, tc := range []struct {
		name        string
		client      *testkit.Leaf
		bound, free bool
	}{
		{"no certificate", nil, false, true},
		{"its certificate", &mine, true, true},
		{"another certificate of the CA", &other, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialPair(t, ca, tc.client)
			if got := c.p.presented(c.ctx, bound); got != tc.bound {
				t.Errorf("bound key: presented = %v, want %v", got, tc.bound)
			}
			if got := c.p.presented(c.ctx, free); got != tc.free {
				t.Errorf("unbound key: presented = %v, want %v", got, tc.free)
			}
		})
	}
	// Without TLS there is no certificate: a bound key is refused.
	plain := &Proxy{}
	ctx := &fasthttp.RequestCtx{}
	if plain.presented(ctx, bound) || !plain.presented(ctx, free) {
		t.Error("without TLS: a bound key passed, or an unbound one did not")
	}
}

// TestClosedConnectionLeavesThePeers: the table holds open connections
// only.
func TestClosedConnectionLeavesThePeers(t *testing.T) {
	t.Parallel()
	ca := testkit.NewCA(t, "proxy CA")
	c := dialPair(t, ca, nil)
	if n := peerCount(c.p.peers); n != 1 {
		t.Fatalf("%d connections recorded, want 1", n)
	}
	c.ctx.Conn().Close()
	if n := peerCount(c.p.peers); n != 0 {
		t.Fatalf("%d connections recorded after close, want 0", n)
	}
}

func peerCount(ps *peers) int {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return len(ps.m)
}
