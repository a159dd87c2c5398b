package console

import (
	"reportgate/admin"
	"reportgate/registry"
)

// A key may be bound to a partner's client certificate (its SHA-256): the
// create form takes one when the gateway asks partners for certificates
// (--client-ca), the edit form keeps, changes or removes it, and reviews,
// requests and the key's page show it. Whether a binding is accepted is
// admin.ClientCertBinding's rule, the API's; the console only words it.

// certBinding reads the create form's fingerprint ("" binds none).
func (c *Console) certBinding(f keyForm) (registry.CertFingerprint, error) {
	if f.CertSHA == "" {
		return registry.CertFingerprint{}, nil
	}
	fp, err := admin.ClientCertBinding(&f.CertSHA, false, c.opts.ClientCertBindings)
	if err != nil {
		return registry.CertFingerprint{}, c.certProblem()
	}
	return *fp, nil
}

// certEdit reads the edit form's choice: nil keeps the key's binding.
func (c *Console) certEdit(f keyForm) (*registry.CertFingerprint, error) {
	var s *string
	switch f.CertMode {
	case "keep":
		return nil, nil
	case "none":
		none := registry.NoClientCert
		s = &none
	case "set":
		s = &f.CertSHA
	default:
		return nil, badForm("Choose what happens to the key's client certificate.")
	}
	fp, err := admin.ClientCertBinding(s, true, c.opts.ClientCertBindings)
	if err != nil {
		return nil, c.certProblem()
	}
	return fp, nil
}

func (c *Console) certProblem() error {
	if !c.opts.ClientCertBindings {
		return badForm("This gateway does not ask partners for client certificates (--client-ca is not set), so a key " +
			"bound to one could never be used. Ask an operator to set --client-ca, or leave the certificate out.")
	}
	return badForm("The client certificate's fingerprint is its SHA-256: 64 hexadecimal digits, or 32 pairs separated " +
		"by colons as `openssl x509 -noout -fingerprint -sha256 -in partner.crt` prints them.")
}

// certWords shows a binding in a diff or on a page.
func certWords(s string) string {
	if s == "" || s == registry.NoClientCert {
		return "None: any connection"
	}
	return "SHA-256 " + s
}
