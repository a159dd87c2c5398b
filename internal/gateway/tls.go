package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"reportgate/internal/certs"
)

// listenerTLS builds the reloaders of the listeners given a certificate;
// nil for a listener served in plain HTTP.
func (g *Gateway) listenerTLS(poll time.Duration) error {
	load := func(name, cert, key string) (*certs.Reloader, error) {
		if cert == "" {
			return nil, nil
		}
		r, err := certs.NewReloader(cert, key, certs.Options{Name: name, Interval: poll, Now: g.now, Logger: g.log})
		if err != nil {
			return nil, fmt.Errorf("gateway: %s listener's certificate: %w", name, err)
		}
		return r, nil
	}
	var err error
	if g.partnerCert, err = load("partner", g.cfg.TLSCert, g.cfg.TLSKey); err != nil {
		return err
	}
	g.adminCert, err = load("admin", g.cfg.AdminTLSCert, g.cfg.AdminTLSKey)
	return err
}

// partnerTLS is the partner listener's TLS configuration: client
// certificates asked for when --client-ca is set. Nil: plain HTTP.
func (g *Gateway) partnerTLS() *tls.Config {
	if g.partnerCert == nil {
		return nil
	}
	return g.partnerCert.ServerConfig(g.cfg.ClientCAs)
}

// watchCertificates re-reads the listeners' certificates when their files
// change, until ctx ends.
func (g *Gateway) watchCertificates(ctx context.Context) {
	for _, r := range []*certs.Reloader{g.partnerCert, g.adminCert} {
		if r != nil {
			g.spawn(func() { r.Run(ctx) })
		}
	}
}

// ReloadCertificates re-reads both listeners' certificates now (SIGHUP). A
// pair that fails its checks is reported, and the previous one keeps
// serving.
func (g *Gateway) ReloadCertificates() error {
	var errs []error
	for _, r := range []*certs.Reloader{g.partnerCert, g.adminCert} {
		if r != nil {
			errs = append(errs, r.Reload())
		}
	}
	return errors.Join(errs...)
}

// serveAdmin serves the admin listener, over TLS when it has a certificate.
func (g *Gateway) serveAdmin() error {
	if g.adminCert == nil {
		return g.admin.Serve(g.adminLn)
	}
	g.admin.TLSConfig = g.adminCert.ServerConfig(nil)
	return g.admin.ServeTLS(g.adminLn, "", "")
}
