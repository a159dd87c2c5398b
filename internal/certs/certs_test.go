package certs_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"reportgate/internal/certs"
	"reportgate/internal/testkit"
)

func TestLoadPair(t *testing.T) {
	t.Parallel()
	ca := testkit.NewCA(t, "test CA")
	dir := t.TempDir()
	good := ca.Issue(t, testkit.LeafOptions{})
	cert, key := good.Write(t, dir, "good")
	_, otherKey := ca.Issue(t, testkit.LeafOptions{}).Write(t, dir, "other")
	expired := ca.Issue(t, testkit.LeafOptions{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	expCert, expKey := expired.Write(t, dir, "expired")
	future := ca.Issue(t, testkit.LeafOptions{NotBefore: time.Now().Add(time.Hour)})
	futCert, futKey := future.Write(t, dir, "future")
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not PEM at all\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name      string
		cert, key string
		part      certs.Part
		want      error
	}{
		{"cert missing", missing, key, certs.CertFile, certs.ErrUnreadable},
		{"key missing", cert, missing, certs.KeyFile, certs.ErrUnreadable},
		{"cert not PEM", garbage, key, certs.CertFile, certs.ErrNoPEM},
		{"key not PEM", cert, garbage, certs.KeyFile, certs.ErrNoPEM},
		{"a certificate given as the key", cert, cert, certs.KeyFile, certs.ErrNoPEM},
		{"another certificate's key", cert, otherKey, certs.KeyFile, certs.ErrMismatch},
		{"expired", expCert, expKey, certs.CertFile, certs.ErrExpired},
		{"not valid yet", futCert, futKey, certs.CertFile, certs.ErrNotYetValid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := certs.LoadPair(tc.cert, tc.key, time.Now())
			var ce *certs.Error
			if !errors.As(err, &ce) || !errors.Is(err, tc.want) || ce.Part != tc.part {
				t.Fatalf("LoadPair = %v, want %v in part %d", err, tc.want, tc.part)
			}
		})
	}
	pair, err := certs.LoadPair(cert, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if pair.Leaf == nil || !bytes.Equal(pair.Leaf.Raw, good.Cert.Raw) {
		t.Fatal("the loaded pair's leaf is not the certificate written")
	}
}

func TestLoadCAPoolAndFingerprint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := testkit.NewCA(t, "a"), testkit.NewCA(t, "b")
	bundle := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bundle, append(append([]byte{}, a.PEM...), b.PEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, n, err := certs.LoadCAPool(bundle); err != nil || n != 2 {
		t.Fatalf("LoadCAPool = %d, %v; want 2 certificates", n, err)
	}
	leaf := a.Issue(t, testkit.LeafOptions{Client: true})
	certFile, keyFile := leaf.Write(t, dir, "client")
	if _, _, err := certs.LoadCAPool(keyFile); !errors.Is(err, certs.ErrNoPEM) {
		t.Fatalf("LoadCAPool(a key) = %v, want ErrNoPEM", err)
	}
	fp, err := certs.FingerprintFile(certFile)
	if err != nil || fp != leaf.Fingerprint {
		t.Fatalf("FingerprintFile = %x, %v; want %x", fp, err, leaf.Fingerprint)
	}
}
