package console

import (
	"net/http"
	"net/netip"
	"slices"
)

// overTLS reports whether the browser reached the console over TLS: the
// admin listener's own (--admin-tls-cert), or a TLS-terminating proxy among
// Options.TLSProxies (--trusted-proxies) saying so with exactly one
// X-Forwarded-Proto: https. The header of anyone else is ignored, and so is
// an ambiguous one (repeated, or a list): the cookie then stays plain,
// which a browser on https still keeps. Only the cookie's name and Secure
// attribute depend on it.
func (c *Console) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if len(c.opts.TLSProxies) == 0 {
		return false
	}
	proto := r.Header.Values("X-Forwarded-Proto")
	if len(proto) != 1 || proto[0] != "https" {
		return false
	}
	peer := clientAddr(r)
	return slices.ContainsFunc(c.opts.TLSProxies, func(p netip.Prefix) bool { return p.Contains(peer) })
}
