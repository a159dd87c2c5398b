package certs_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"reportgate/internal/certs"
	"reportgate/internal/testkit"
)

// echoServer serves TLS with cfg and echoes every line back.
func echoServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// served is the leaf a new connection to addr is given.
func served(t *testing.T, ca *testkit.CA, addr string) []byte {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Raw
}

// TestRotationServesNewConnectionsAndKeepsOldOnes: the files are replaced
// while a connection is open; new handshakes get the new certificate once
// the poll sees the change, and the old connection keeps working on the
// certificate it was made with.
func TestRotationServesNewConnectionsAndKeepsOldOnes(t *testing.T) {
	t.Parallel()
	ca := testkit.NewCA(t, "rotation CA")
	dir := t.TempDir()
	first, second := ca.Issue(t, testkit.LeafOptions{}), ca.Issue(t, testkit.LeafOptions{})
	certFile, keyFile := first.Write(t, dir, "server")
	logs := &testkit.LogBuffer{}
	r, err := certs.NewReloader(certFile, keyFile, certs.Options{Name: "test", Interval: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	go r.Run(ctx)
	addr := echoServer(t, r.ServerConfig(nil))

	old, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldReader := bufio.NewReader(old)
	roundTrip(t, old, oldReader, "before")

	second.Write(t, dir, "server")
	testkit.WaitFor(t, 10*time.Second, "the rotated certificate is not served", func() bool {
		return bytes.Equal(served(t, ca, addr), second.Cert.Raw)
	})
	roundTrip(t, old, oldReader, "after")
	if got := old.ConnectionState().PeerCertificates[0].Raw; !bytes.Equal(got, first.Cert.Raw) {
		t.Fatal("the open connection's certificate changed")
	}
	if !strings.Contains(logs.String(), "reload=true") {
		t.Errorf("no reload logged:\n%s", logs.String())
	}
}

func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, line string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		t.Fatal(err)
	}
	got, err := r.ReadString('\n')
	if err != nil || got != line+"\n" {
		t.Fatalf("echo of %q = %q, %v", line, got, err)
	}
}

// TestBadRotationKeepsServing: a rotation that writes the certificate but
// not yet its key (or an expired pair) is refused with an error log, and
// the previous pair keeps serving; the completed rotation is then taken.
func TestBadRotationKeepsServing(t *testing.T) {
	t.Parallel()
	ca := testkit.NewCA(t, "bad rotation CA")
	dir := t.TempDir()
	first, second := ca.Issue(t, testkit.LeafOptions{}), ca.Issue(t, testkit.LeafOptions{})
	certFile, keyFile := first.Write(t, dir, "server")
	logs := &testkit.LogBuffer{}
	r, err := certs.NewReloader(certFile, keyFile, certs.Options{Name: "test",
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// Half a rotation: the new certificate beside the old key.
	half := t.TempDir()
	newCert, _ := second.Write(t, half, "server")
	copyFile(t, newCert, certFile)
	if err := r.Reload(); err == nil {
		t.Fatal("Reload of a certificate with another's key succeeded")
	}
	if !bytes.Equal(r.Current().Leaf.Raw, first.Cert.Raw) {
		t.Fatal("a refused reload replaced the served certificate")
	}
	if !strings.Contains(logs.String(), "previous one keeps serving") {
		t.Errorf("the refused reload was not logged:\n%s", logs.String())
	}
	second.Write(t, dir, "server")
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Current().Leaf.Raw, second.Cert.Raw) || r.Loaded() != 2 {
		t.Fatalf("after the completed rotation: %d loads, want the second certificate served", r.Loaded())
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestClientCertificatesRequestedNotRequired: with client CAs, a client
// without a certificate is served, one with a certificate of the CA is
// verified, and one of another CA is refused at the handshake.
func TestClientCertificatesRequestedNotRequired(t *testing.T) {
	t.Parallel()
	ca, other := testkit.NewCA(t, "client CA"), testkit.NewCA(t, "other CA")
	certFile, keyFile := ca.Issue(t, testkit.LeafOptions{}).Write(t, t.TempDir(), "server")
	r, err := certs.NewReloader(certFile, keyFile, certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := echoServer(t, r.ServerConfig(ca.Pool()))
	dial := func(client *testkit.Leaf) error {
		cfg := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
		if client != nil {
			// Sent whatever CAs the server names (Certificates alone would
			// be withheld from a server that names another CA).
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &client.TLS, nil }
		}
		c, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		rd := bufio.NewReader(c)
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		// TLS 1.3 reports a refused client certificate at the first read.
		if _, err := io.WriteString(c, "x\n"); err != nil {
			return err
		}
		_, err = rd.ReadString('\n')
		return err
	}
	mine, theirs := ca.Issue(t, testkit.LeafOptions{Client: true}), other.Issue(t, testkit.LeafOptions{Client: true})
	if err := dial(nil); err != nil {
		t.Errorf("without a client certificate: %v", err)
	}
	if err := dial(&mine); err != nil {
		t.Errorf("with a certificate of the CA: %v", err)
	}
	if err := dial(&theirs); err == nil {
		t.Error("a certificate of another CA was accepted")
	}
}
