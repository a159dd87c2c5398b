package certs

import (
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Sentinels of a pair that cannot be served, each wrapped in an *Error that
// names the file.
var (
	// ErrUnreadable: the file cannot be read (missing, permissions).
	ErrUnreadable = errors.New("certs: unreadable")
	// ErrNoPEM: the file holds no certificate, or no private key, in PEM.
	ErrNoPEM = errors.New("certs: no PEM certificate or key")
	// ErrMismatch: the key is not the certificate's.
	ErrMismatch = errors.New("certs: the key does not match the certificate")
	// ErrExpired: the certificate's validity ended.
	ErrExpired = errors.New("certs: the certificate has expired")
	// ErrNotYetValid: the certificate's validity has not begun.
	ErrNotYetValid = errors.New("certs: the certificate is not valid yet")
)

// Part is which file of a pair a problem is in.
type Part uint8

const (
	CertFile Part = iota
	KeyFile
)

// Error is a problem with one file of a pair.
type Error struct {
	Part Part
	Path string
	Err  error // one of the sentinels, possibly wrapping the cause
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// LoadPair reads certFile (the leaf first, then its chain, in PEM) and
// keyFile (a PEM private key) and checks them at now: parsed, matching,
// valid. Leaf is set on the result.
func LoadPair(certFile, keyFile string, now time.Time) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, &Error{CertFile, certFile, unreadable(err)}
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, &Error{KeyFile, keyFile, unreadable(err)}
	}
	leaf, err := parseLeaf(certPEM)
	if err != nil {
		return nil, &Error{CertFile, certFile, err}
	}
	if err := parseKey(keyPEM); err != nil {
		return nil, &Error{KeyFile, keyFile, err}
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// Both parse on their own: what is left is that they differ.
		return nil, &Error{KeyFile, keyFile, fmt.Errorf("%w (certificate %s)", ErrMismatch, certFile)}
	}
	switch {
	case now.After(leaf.NotAfter):
		return nil, &Error{CertFile, certFile, fmt.Errorf("%w on %s", ErrExpired, leaf.NotAfter.UTC().Format(time.RFC3339))}
	case now.Before(leaf.NotBefore):
		return nil, &Error{CertFile, certFile, fmt.Errorf("%w before %s", ErrNotYetValid, leaf.NotBefore.UTC().Format(time.RFC3339))}
	}
	pair.Leaf = leaf
	return &pair, nil
}

// unreadable wraps a read error in ErrUnreadable, without the path the
// Error names already.
func unreadable(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%w: %w", ErrUnreadable, err)
}

// parseLeaf returns the first certificate of a PEM bundle.
func parseLeaf(b []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("%w: no CERTIFICATE block", ErrNoPEM)
		}
		if block.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrNoPEM, err)
			}
			return c, nil
		}
	}
}

// parseKey checks that b holds a private key the TLS stack can use.
func parseKey(b []byte) error {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return fmt.Errorf("%w: no PRIVATE KEY block", ErrNoPEM)
		}
		var k crypto.PrivateKey
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrNoPEM, block.Type, err)
		}
		_ = k
		return nil
	}
}

// LoadCAPool reads a PEM bundle of CA certificates, for verifying client
// certificates. It fails when the file holds none.
func LoadCAPool(file string) (*x509.CertPool, int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	pool, n := x509.NewCertPool(), 0
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: certificate %d: %w", ErrNoPEM, n+1, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("%w: no CERTIFICATE block", ErrNoPEM)
	}
	return pool, n, nil
}

// Fingerprint is the SHA-256 of a certificate's DER bytes, the value a key
// is bound to.
func Fingerprint(der []byte) [32]byte { return sha256.Sum256(der) }

// FingerprintFile is the Fingerprint of the first certificate in a PEM file
// (a partner's client certificate, for the CLI).
func FingerprintFile(file string) ([32]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	leaf, err := parseLeaf(b)
	if err != nil {
		return [32]byte{}, err
	}
	return Fingerprint(leaf.Raw), nil
}
