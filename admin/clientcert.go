package admin

import (
	"strings"

	"reportgate/registry"
)

// AcceptClientCertBindings says whether this gateway asks partners for
// client certificates (--client-ca). Without, binding a key to one is
// refused when filed: the key could never authenticate here, and a quorum
// would approve a key that answers every request 401. Unbinding is always
// accepted. The proxy refuses a bound key without its certificate in any
// case (a replica configured otherwise fails closed).
func (a *API) AcceptClientCertBindings(on bool) { a.clientCerts = on }

// ClientCertBinding reads the client certificate of a creation or an edit,
// as the API and the console take it: nil leaves it out (a creation binds
// none, an edit keeps the key's), "none" unbinds (edits only), else the
// certificate's SHA-256 as 64 hex digits or colon-separated pairs. accept
// is AcceptClientCertBindings's value: binding is refused without it.
func ClientCertBinding(s *string, edit, accept bool) (*registry.CertFingerprint, error) {
	if s == nil {
		return nil, nil
	}
	v := strings.TrimSpace(*s)
	if v == registry.NoClientCert && edit {
		return &registry.CertFingerprint{}, nil
	}
	fp, err := registry.ParseCertFingerprint(v)
	if err != nil {
		if edit {
			return nil, badRequest("client_cert_sha256: give the client certificate's SHA-256 (64 hex digits or 32 colon-separated pairs), or none to unbind the key")
		}
		return nil, badRequest("client_cert_sha256: give the client certificate's SHA-256 (64 hex digits or 32 colon-separated pairs), or leave it out for a key bound to none")
	}
	if !accept {
		return nil, badRequest("client_cert_sha256: this gateway does not ask partners for client certificates (--client-ca is not set), so a key bound to one could never be used; set --client-ca first")
	}
	return &fp, nil
}
