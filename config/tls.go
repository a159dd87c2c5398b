package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"reportgate/internal/certs"
)

// bindTLS registers the listeners' certificates and the client CA.
func (c *Config) bindTLS(fs *pflag.FlagSet) {
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "partner listener over TLS: certificate file (PEM, leaf then chain), re-read when it changes or on SIGHUP")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "partner listener over TLS: the certificate's private key file (PEM)")
	fs.StringVar(&c.AdminTLSCert, "admin-tls-cert", c.AdminTLSCert, "admin listener over TLS: certificate file (PEM, leaf then chain), re-read when it changes or on SIGHUP")
	fs.StringVar(&c.AdminTLSKey, "admin-tls-key", c.AdminTLSKey, "admin listener over TLS: the certificate's private key file (PEM)")
	fs.StringVar(&c.ClientCA, "client-ca", c.ClientCA, "CA bundle (PEM) partner client certificates are verified against; the partner listener then asks for one (needs --tls-cert)")
}

// validateTLS checks each listener's pair as it would be served now, and
// the client CA bundle, and fills ClientCAs.
func (c *Config) validateTLS(add func(flag, problem, fix string)) {
	c.ClientCAs = nil
	partner := checkPair(add, "tls-cert", "tls-key", c.TLSCert, c.TLSKey)
	checkPair(add, "admin-tls-cert", "admin-tls-key", c.AdminTLSCert, c.AdminTLSKey)
	if c.ClientCA == "" {
		return
	}
	if c.TLSCert == "" && c.TLSKey == "" {
		add("client-ca", "set without --tls-cert: client certificates only exist over TLS",
			"serve the partner listener over TLS (--tls-cert, --tls-key), or unset --client-ca")
	}
	pool, _, err := certs.LoadCAPool(c.ClientCA)
	if err != nil {
		add("client-ca", fmt.Sprintf("%s: %v", c.ClientCA, err), "give a PEM bundle of the CA certificates partners' client certificates chain to")
		return
	}
	if partner {
		c.ClientCAs = pool
	}
}

// checkPair reports what keeps a pair from being served; it reports true
// when the pair is set and servable.
func checkPair(add func(flag, problem, fix string), certFlag, keyFlag, cert, key string) bool {
	switch {
	case cert == "" && key == "":
		return false
	case cert == "":
		add(certFlag, "not set, while --"+keyFlag+" is", "give the certificate of that key, or unset --"+keyFlag)
		return false
	case key == "":
		add(keyFlag, "not set, while --"+certFlag+" is", "give the certificate's private key, or unset --"+certFlag)
		return false
	}
	_, err := certs.LoadPair(cert, key, time.Now())
	var ce *certs.Error
	if err == nil || !errors.As(err, &ce) {
		return err == nil
	}
	flag := certFlag
	if ce.Part == certs.KeyFile {
		flag = keyFlag
	}
	add(flag, ce.Error(), pairFix(ce, certFlag))
	return false
}

func pairFix(ce *certs.Error, certFlag string) string {
	switch {
	case errors.Is(ce, certs.ErrUnreadable):
		return "give the right path, readable by the gateway's user"
	case errors.Is(ce, certs.ErrNoPEM) && ce.Part == certs.CertFile:
		return "give the certificate in PEM (BEGIN CERTIFICATE), the leaf first, then its chain"
	case errors.Is(ce, certs.ErrNoPEM):
		return "give the private key in PEM (PKCS#8, EC or RSA), unencrypted"
	case errors.Is(ce, certs.ErrMismatch):
		return "give the private key of the certificate in --" + certFlag + " (or that key's certificate)"
	case errors.Is(ce, certs.ErrExpired):
		return "renew the certificate: an expired one is never served"
	case errors.Is(ce, certs.ErrNotYetValid):
		return "check this machine's clock, or wait until the certificate's validity begins"
	}
	return "give a certificate and its key in PEM"
}
