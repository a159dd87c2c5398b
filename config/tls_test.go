package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reportgate/internal/testkit"
)

func TestValidateTLS(t *testing.T) {
	t.Parallel()
	ca := testkit.NewCA(t, "config CA")
	dir := t.TempDir()
	cert, key := ca.Issue(t, testkit.LeafOptions{}).Write(t, dir, "server")
	_, otherKey := ca.Issue(t, testkit.LeafOptions{}).Write(t, dir, "other")
	expCert, expKey := ca.Issue(t, testkit.LeafOptions{NotBefore: time.Now().Add(-48 * time.Hour),
		NotAfter: time.Now().Add(-time.Hour)}).Write(t, dir, "expired")
	caFile, _ := testkit.Leaf{CertPEM: ca.PEM}.Write(t, dir, "ca")
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name  string
		edit  func(*Config)
		flags []string // the problems' flags, in order; none: valid
		say   []string // what the message must say
	}{
		{"both listeners and a client CA", func(c *Config) {
			c.TLSCert, c.TLSKey, c.AdminTLSCert, c.AdminTLSKey, c.ClientCA = cert, key, cert, key, caFile
		}, nil, nil},
		{"a key without its certificate", func(c *Config) { c.TLSKey = key }, []string{"tls-cert"}, []string{"not set, while --tls-key is"}},
		{"unreadable certificate", func(c *Config) { c.TLSCert, c.TLSKey = missing, key },
			[]string{"tls-cert"}, []string{"missing.pem", "no such file", "readable by the gateway's user"}},
		{"another certificate's key", func(c *Config) { c.TLSCert, c.TLSKey = cert, otherKey },
			[]string{"tls-key"}, []string{"does not match", "--tls-key [REPORTGATE_TLS_KEY]", "key of the certificate in --tls-cert"}},
		{"expired admin certificate", func(c *Config) { c.AdminTLSCert, c.AdminTLSKey = expCert, expKey },
			[]string{"admin-tls-cert"}, []string{"expired on", "renew the certificate"}},
		{"client CA without TLS", func(c *Config) { c.ClientCA = caFile }, []string{"client-ca"}, []string{"without --tls-cert"}},
		{"client CA that is a key", func(c *Config) { c.TLSCert, c.TLSKey, c.ClientCA = cert, key, key },
			[]string{"client-ca"}, []string{"no CERTIFICATE"}},
		{"every problem at once", func(c *Config) {
			c.TLSCert, c.TLSKey = cert, otherKey
			c.AdminTLSCert, c.AdminTLSKey = expCert, expKey
			c.ClientCA = missing
		}, []string{"tls-key", "admin-tls-cert", "client-ca"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			tc.edit(&c)
			err := c.Validate()
			if len(tc.flags) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.ClientCAs == nil && c.ClientCA != "" {
					t.Error("ClientCAs not derived")
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Validate() = %v, want Problems", err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.Flag)
			}
			if strings.Join(got, ",") != strings.Join(tc.flags, ",") {
				t.Fatalf("problems for %v, want %v:\n%v", got, tc.flags, err)
			}
			for _, s := range tc.say {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message lacks %q:\n%v", s, err)
				}
			}
		})
	}
}
