package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The TLS comparison: the list route over TLS, the gateway ending TLS
// itself (gw-tls, --tls-cert) against nginx ending TLS in front of the
// origin (nginx-tls, a second server block of the same nginx), both with
// one ECDSA P-256 certificate, TLS 1.2 and 1.3 offered, wrk choosing (TLS
// 1.3 with OpenSSL). Two routes: list-tls on reused connections (the cost
// of encryption), list-tls-handshake with Connection: close, so every
// request pays a full handshake (wrk sets no session on reconnect, so
// nothing is resumed).

// tlsRouteNames are the TLS routes, after routeNames.
var tlsRouteNames = []string{"list-tls", "list-tls-handshake"}

// tlsRoutes turns the list route of a target into its two TLS routes.
func tlsRoutes(list route) []route {
	keep, handshake := list, list
	keep.name, keep.tls = "list-tls", true
	handshake.name, handshake.tls = "list-tls-handshake", true
	handshake.headers = append(append([]string(nil), list.headers...), "Connection: close")
	return []route{keep, handshake}
}

// benchCert writes a self-signed ECDSA P-256 certificate for 127.0.0.1
// and its key into dir, and returns their paths and a pool trusting it.
func benchCert(dir string) (certFile, keyFile string, pool *x509.CertPool, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "reportgate bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(7 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	certFile, keyFile = filepath.Join(dir, "bench-tls.crt"), filepath.Join(dir, "bench-tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", nil, err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return "", "", nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", nil, err
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool, nil
}

// nginxTLSServer is nginx's TLS server block: the same proxy_pass as the
// plain one, TLS 1.2 and 1.3, a session cache as a production nginx would
// have (wrk resumes nothing, so it does not change the handshake route).
func nginxTLSServer(listen, upstreamUser, certFile, keyFile string) string {
	return fmt.Sprintf(`    server {
        listen %s ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:1m;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Ledger-API-User %s;
        }
    }
`, listen, certFile, keyFile, upstreamUser)
}

// scheme is the URL scheme of a route.
func (r route) scheme() string {
	if r.tls {
		return "https"
	}
	return "http"
}

// httpClient is the client of the checks: it trusts the bench certificate.
func (d *driver) httpClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: d.tlsPool}}}
}

// keepTargets keeps the targets named in -targets (all when empty).
func keepTargets(targets []target, names string) []target {
	if names == "" {
		return targets
	}
	want := map[string]bool{}
	for _, n := range strings.Split(names, ",") {
		want[strings.TrimSpace(n)] = true
	}
	var out []target
	for _, t := range targets {
		if want[t.name] {
			out = append(out, t)
		}
	}
	return out
}

// nginxPeer is the nginx target a target's throughput and CPU are compared
// with: nginx ending TLS for the TLS targets, nginx's proxy_cache for the
// cached one.
func nginxPeer(target string) string {
	switch {
	case strings.HasSuffix(target, "-tls"):
		return "nginx-tls"
	case strings.HasSuffix(target, "-cache"):
		return "nginx-cache"
	}
	return "nginx"
}

// startTLSGateway starts gw-tls, the gateway serving partners over TLS with
// the bench certificate, and returns its target and the certificate's
// files (for nginx-tls).
func (d *driver) startTLSGateway(upPort, redisPort int, list route) (target, []string, error) {
	dir, err := filepath.Abs(d.out)
	if err != nil {
		return target{}, nil, err
	}
	cert, key, pool, err := benchCert(dir)
	if err != nil {
		return target{}, nil, err
	}
	d.tlsPool = pool
	env := []string{"REPORTGATE_TLS_CERT=" + cert, "REPORTGATE_TLS_KEY=" + key}
	p, addr, _, err := d.startGateway("gw-tls", d.bin("reportgate"), env, upPort, redisPort, "warn")
	if err != nil {
		return target{}, nil, err
	}
	return target{name: "gw-tls", addr: addr, proxy: []int{p.pid()}, routes: tlsRoutes(list)}, []string{cert, key}, nil
}

// negotiated is what OpenSSL's client (wrk's library) agrees with a TLS
// target: protocol, cipher suite, key exchange; best effort, for the
// summary (the openssl command may be missing).
func negotiated(ctx context.Context, addr string) string {
	cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", addr, "-brief")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil && len(out) == 0 {
		return "not read (" + err.Error() + ")"
	}
	var parts []string
	for _, line := range strings.Split(string(out), "\n") {
		for _, p := range []string{"Protocol version: ", "Ciphersuite: ", "Server Temp Key: "} {
			if v, ok := strings.CutPrefix(line, p); ok {
				parts = append(parts, strings.TrimSpace(v))
			}
		}
	}
	if len(parts) == 0 {
		return "not read"
	}
	return strings.Join(parts, ", ")
}

// tlsSummary is the summary's line on the TLS runs.
func (d *driver) tlsSummary(ctx context.Context, targets []target) string {
	var seen []string
	for _, t := range targets {
		if len(t.routes) > 0 && t.routes[0].tls {
			seen = append(seen, t.name+": "+negotiated(ctx, t.addr))
		}
	}
	if len(seen) == 0 {
		return ""
	}
	return "TLS: one self-signed ECDSA P-256 certificate; gw-tls ends TLS itself (--tls-cert), nginx-tls in a second " +
		"server block of the same nginx (ssl_session_cache on); list-tls reuses connections, list-tls-handshake sends " +
		"Connection: close, so each request pays a full handshake (wrk resumes no session); negotiated with OpenSSL's " +
		"client: " + strings.Join(seen, "; ")
}
