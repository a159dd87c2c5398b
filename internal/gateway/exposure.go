package gateway

import "net"

// warnIfAdminExposed warns when the admin listener is reachable beyond this
// host without TLS: admin bearer tokens, revealed keys and the upstream's
// signed notifications would cross the network in clear, and /metrics,
// /healthz and /readyz are unauthenticated by design (probes and scrapers
// hold no token). Served over TLS (--admin-tls-cert) nothing crosses in
// clear, and the probes carry no key id or secret: no warning. It is a
// warning, not a refusal: behind a TLS-terminating proxy or inside a pod
// whose NetworkPolicy admits only that proxy, a non-loopback address is
// the deployment's intent.
func (g *Gateway) warnIfAdminExposed(ln net.Listener) {
	if tcp, ok := ln.Addr().(*net.TCPAddr); g.adminCert != nil || (ok && tcp.IP.IsLoopback()) {
		return
	}
	g.log.Warn("admin listener on a non-loopback address without TLS: admin bearer tokens, revealed keys and "+
		"the upstream's notifications cross the network in clear, and /metrics, /healthz and /readyz answer "+
		"anyone who reaches it, unauthenticated; bind --admin-listen to loopback, serve it over TLS "+
		"(--admin-tls-cert), or put it behind a TLS-terminating proxy and a network policy", "admin", ln.Addr().String())
}
