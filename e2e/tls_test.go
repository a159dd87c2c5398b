package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"reportgate/config"
	"reportgate/internal/gateway"
	"reportgate/internal/gateway/gatewaytest"
	"reportgate/internal/ledgersim"
	"reportgate/internal/testkit"
	"reportgate/registry"
)

// tlsFiles are the certificate files of a gateway served over TLS, signed by
// a CA made for the test, which also signs the partners' client
// certificates.
type tlsFiles struct {
	ca                *testkit.CA
	dir               string
	cert, key, caFile string
	server            testkit.Leaf
}

func newTLSFiles(t *testing.T) *tlsFiles {
	t.Helper()
	f := &tlsFiles{ca: testkit.NewCA(t, "e2e CA"), dir: t.TempDir()}
	f.server = f.ca.Issue(t, testkit.LeafOptions{})
	f.cert, f.key = f.server.Write(t, f.dir, "server")
	f.caFile, _ = testkit.Leaf{CertPEM: f.ca.PEM}.Write(t, f.dir, "ca")
	return f
}

// onBoth serves both listeners with the files' pair, and asks partners for
// client certificates of the CA.
func (f *tlsFiles) onBoth(c *config.Config) {
	c.TLSCert, c.TLSKey, c.AdminTLSCert, c.AdminTLSKey, c.ClientCA = f.cert, f.key, f.cert, f.key, f.caFile
}

// client is a TLS client configuration trusting the CA, presenting leaf
// when given.
func (f *tlsFiles) client(leaf *testkit.Leaf) *tls.Config {
	c := &tls.Config{RootCAs: f.ca.Pool(), ServerName: "localhost"}
	if leaf != nil {
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &leaf.TLS, nil }
	}
	return c
}

// tlsGateway starts a replica as w.gateway does, with cfg edited by edit
// (which sets TLS), waiting for /readyz over the admin listener's TLS when
// it has one.
func (w *world) tlsGateway(f *tlsFiles, edit func(*config.Config), opts gateway.Options) *gateway.Gateway {
	w.t.Helper()
	cfg := w.config()
	edit(&cfg)
	if err := cfg.Validate(); err != nil {
		w.t.Fatal(err)
	}
	opts.Logger = slog.New(slog.NewJSONHandler(w.logs, nil))
	g := gatewaytest.Start(w.t, cfg, opts)
	scheme, client := "http", http.DefaultClient
	if cfg.AdminTLSCert != "" {
		scheme, client = "https", &http.Client{Transport: &http.Transport{TLSClientConfig: f.client(nil)}}
	}
	testkit.WaitFor(w.t, 10*time.Second, "the gateway is not ready", func() bool {
		resp, err := client.Get(scheme + "://" + g.AdminAddr() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return g
}

// tlsConn is one keep-alive connection to a TLS listener.
type tlsConn struct {
	t *testing.T
	c *tls.Conn
	r *bufio.Reader
}

func dialTLS(t *testing.T, addr string, cfg *tls.Config) (*tlsConn, error) {
	t.Helper()
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return &tlsConn{t: t, c: c, r: bufio.NewReader(c)}, nil
}

// get sends a partner's GET on the connection and reads the answer. A
// client certificate the server refused shows here in TLS 1.3, at the first
// read: it is returned as the error.
func (tc *tlsConn) get(secret, target string) (answer, error) {
	tc.t.Helper()
	_ = tc.c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + target + " HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: " + secret + "\r\nX-Ledger-Workspace: acme\r\n\r\n"
	if _, err := io.WriteString(tc.c, req); err != nil {
		return answer{}, err
	}
	resp, err := http.ReadResponse(tc.r, &http.Request{Method: "GET"})
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, err
}

// served is the certificate a new connection to addr is given.
func (f *tlsFiles) served(t *testing.T, addr string) []byte {
	t.Helper()
	c, err := tls.Dial("tcp", addr, f.client(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Raw
}

// TestTLSOnBothListeners: partners and admins both reach the gateway over
// TLS 1.2 and 1.3 with the standard library's defaults; older versions and
// plain HTTP are refused; an admin listener beyond loopback served over TLS
// is not warned about. (Regression: a request read over TLS kept its https
// scheme, and the plain upstream client refused it with a 502.)
func TestTLSOnBothListeners(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	f := newTLSFiles(t)
	g := w.tlsGateway(f, func(c *config.Config) { f.onBoth(c); c.AdminListen = "0.0.0.0:0" }, gateway.Options{})
	_, secret := w.key(1)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := f.client(nil)
		cfg.MinVersion, cfg.MaxVersion = v, v
		c, err := dialTLS(t, g.ProxyAddr(), cfg)
		if err != nil {
			t.Fatalf("partner listener, %s: %v", tls.VersionName(v), err)
		}
		if a, err := c.get(secret, "/accounts"); err != nil || a.status != http.StatusOK {
			t.Fatalf("partner GET over %s: %d %v %s", tls.VersionName(v), a.status, err, a.body)
		}
		admin := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := admin.Get("https://" + g.AdminAddr() + "/healthz")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("admin /healthz over %s: %v", tls.VersionName(v), err)
		}
		resp.Body.Close()
	}
	old := f.client(nil)
	old.MinVersion, old.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
	if _, err := dialTLS(t, g.ProxyAddr(), old); err == nil {
		t.Error("the partner listener accepted TLS 1.1")
	}
	if answeredPlainHTTP(t, g.ProxyAddr(), secret) {
		t.Error("the partner listener answered plain HTTP")
	}
	if strings.Contains(w.logs.String(), "without TLS") {
		t.Errorf("an admin listener served over TLS was warned about:\n%s", w.logs.String())
	}
}

// TestCertificateRotation: new certificate files are served to new
// connections, on both listeners, once the poll sees them, while a
// connection opened before keeps working on the certificate it was made
// with; with a poll too slow to matter, a reload (what SIGHUP does) takes a
// rotation at once.
func TestCertificateRotation(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	f := newTLSFiles(t)
	g := w.tlsGateway(f, f.onBoth, gateway.Options{CertPoll: 20 * time.Millisecond})
	_, secret := w.key(1)
	open, err := dialTLS(t, g.ProxyAddr(), f.client(nil))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := open.get(secret, "/accounts"); err != nil || a.status != http.StatusOK {
		t.Fatalf("before the rotation: %d %v", a.status, err)
	}

	next := f.ca.Issue(t, testkit.LeafOptions{})
	next.Write(t, f.dir, "server")
	for _, addr := range []string{g.ProxyAddr(), g.AdminAddr()} {
		testkit.WaitFor(t, 10*time.Second, "the rotated certificate is not served on "+addr, func() bool {
			return bytes.Equal(f.served(t, addr), next.Cert.Raw)
		})
	}
	if a, err := open.get(secret, "/accounts"); err != nil || a.status != http.StatusOK {
		t.Fatalf("the connection opened before the rotation: %d %v", a.status, err)
	}
	if got := open.c.ConnectionState().PeerCertificates[0].Raw; !bytes.Equal(got, f.server.Cert.Raw) {
		t.Fatal("the open connection's certificate changed")
	}

	slow := w.tlsGateway(f, f.onBoth, gateway.Options{CertPoll: time.Hour})
	third := f.ca.Issue(t, testkit.LeafOptions{})
	third.Write(t, f.dir, "server")
	if err := slow.ReloadCertificates(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.served(t, slow.ProxyAddr()), third.Cert.Raw) || !bytes.Equal(f.served(t, slow.AdminAddr()), third.Cert.Raw) {
		t.Fatal("a reload did not serve the new certificate")
	}
}

// TestKeyBoundToAClientCertificate: a key bound to a partner's client
// certificate is refused without it and with another certificate of the
// same CA exactly like an unknown key (401, the same body, a failed
// authentication), suspended or not, and accepted with it; an unbound key
// works with or without a certificate; a certificate of another CA does not
// get past the handshake.
func TestKeyBoundToAClientCertificate(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	f := newTLSFiles(t)
	g := w.tlsGateway(f, f.onBoth, gateway.Options{})
	mine, other := f.ca.Issue(t, testkit.LeafOptions{Client: true}), f.ca.Issue(t, testkit.LeafOptions{Client: true})
	bound := w.boundKey(registry.CertFingerprint(mine.Fingerprint), 1)
	_, free := w.key(1)
	unknown, err := registry.GenerateKey()
	must(t, err)
	as := func(leaf *testkit.Leaf, secret string) answer {
		t.Helper()
		c, err := dialTLS(t, g.ProxyAddr(), f.client(leaf))
		must(t, err)
		a, err := c.get(secret, "/accounts")
		must(t, err)
		return a
	}
	refused := as(nil, unknown)
	if refused.status != http.StatusUnauthorized {
		t.Fatalf("unknown key: %d", refused.status)
	}
	for name, leaf := range map[string]*testkit.Leaf{"no certificate": nil, "another certificate": &other} {
		if a := as(leaf, bound); a.status != refused.status || !bytes.Equal(a.body, refused.body) {
			t.Errorf("bound key, %s: %d %s; want the unknown key's %d %s", name, a.status, a.body, refused.status, refused.body)
		}
	}
	if a := as(&mine, bound); a.status != http.StatusOK {
		t.Errorf("bound key with its certificate: %d %s", a.status, a.body)
	}
	for name, leaf := range map[string]*testkit.Leaf{"no certificate": nil, "a certificate": &mine} {
		if a := as(leaf, free); a.status != http.StatusOK {
			t.Errorf("unbound key, %s: %d %s", name, a.status, a.body)
		}
	}
	foreign := testkit.NewCA(t, "foreign CA").Issue(t, testkit.LeafOptions{Client: true})
	if c, err := dialTLS(t, g.ProxyAddr(), f.client(&foreign)); err == nil {
		if _, err := c.get(bound, "/accounts"); err == nil {
			t.Error("a certificate of another CA got past the handshake")
		}
	}
	// Suspended, the key still answers as unknown without its certificate:
	// the 403 of a suspended key would tell a thief that it exists.
	k := w.keyBySecret(bound)
	_, err = w.reg.Suspend(context.Background(), w.admins[1].ID, k.ID)
	must(t, err)
	testkit.WaitFor(t, 10*time.Second, "the suspension is not seen", func() bool {
		return as(&mine, bound).status == http.StatusForbidden
	})
	if a := as(nil, bound); a.status != http.StatusUnauthorized || !bytes.Equal(a.body, refused.body) {
		t.Errorf("suspended bound key without its certificate: %d %s", a.status, a.body)
	}
	metrics := scrapeTLS(t, f, g)
	if !strings.Contains(metrics, `reportgate_auth_failures_total{reason="client_cert"} 3`) {
		t.Errorf("the refusals are not counted as failed authentications:\n%s", grepLines(metrics, "auth_failures"))
	}
}

// TestBoundKeyWithoutClientCA: a replica that does not ask for client
// certificates (no --client-ca, or no TLS at all, TLS ending in front of
// it) refuses a bound key on every request: it cannot check the binding,
// so it fails closed.
func TestBoundKeyWithoutClientCA(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	f := newTLSFiles(t)
	leaf := f.ca.Issue(t, testkit.LeafOptions{Client: true})
	bound := w.boundKey(registry.CertFingerprint(leaf.Fingerprint), 1)
	noCA := w.tlsGateway(f, func(c *config.Config) { c.TLSCert, c.TLSKey = f.cert, f.key }, gateway.Options{})
	c, err := dialTLS(t, noCA.ProxyAddr(), f.client(&leaf))
	must(t, err)
	if a, err := c.get(bound, "/accounts"); err != nil || a.status != http.StatusUnauthorized {
		t.Errorf("TLS without --client-ca: %d %v", a.status, err)
	}
	plain := w.gateway(nil, nil)
	if a := get(t, plain, bound, "/accounts"); a.status != http.StatusUnauthorized {
		t.Errorf("plain HTTP: %d %s", a.status, a.body)
	}
}

// boundKey creates, approves and reveals a key bound to a client
// certificate, through the registry (the admin API refuses bindings on a
// replica without --client-ca; the registry stores what it is given).
func (w *world) boundKey(cert registry.CertFingerprint, entities ...int64) string {
	w.t.Helper()
	ctx := context.Background()
	_, req, err := w.reg.FileCreateKey(ctx, w.admins[0].ID, registry.NewKey{Name: "bound partner", Entities: entities, ClientCert: cert})
	must(w.t, err)
	for _, a := range w.admins[1:] {
		_, _, err := w.reg.Approve(ctx, a.ID, req.ID)
		must(w.t, err)
	}
	_, secret, err := w.reg.Reveal(ctx, w.admins[0].ID, req.KeyID)
	must(w.t, err)
	return secret
}

func (w *world) keyBySecret(secret string) registry.Key {
	w.t.Helper()
	k, err := w.reg.KeyByHash(context.Background(), registry.KeyHash([]byte(secret)))
	must(w.t, err)
	return k
}

func scrapeTLS(t *testing.T, f *tlsFiles, g *gateway.Gateway) string {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: f.client(nil)}}
	resp, err := c.Get("https://" + g.AdminAddr() + "/metrics")
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// answeredPlainHTTP reports whether a partner's request in plain HTTP got
// an answer from a TLS listener (it must not: the connection is closed).
func answeredPlainHTTP(t *testing.T, addr, secret string) bool {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	must(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(c, "GET /accounts HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: "+secret+"\r\nX-Ledger-Workspace: acme\r\n\r\n")
	must(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: "GET"})
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}
