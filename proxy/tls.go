package proxy

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"net"
	"net/netip"
	"sync"

	"github.com/valyala/fasthttp"

	"reportgate/keycache"
)

// errClientCert refuses a key bound to a client certificate that the
// connection's client did not present: the same status and body as an
// unknown key (errBadKey), so a stolen key learns nothing; the reason, for
// the access log and the metric only, tells them apart.
var errClientCert = newError(401, "client_cert", "invalid reporting API key").in(authClass)

// tlsListener hands out TLS connections and records each, by its client's
// address and port, in a peers table. The authenticate step reads a
// request's client certificate there: tls.Conn.ConnectionState allocates on
// every call, and fasthttp wraps connections in a type of its own when
// MaxConnsPerIP is set, so the handler cannot reach the connection itself.
// The TCP peer's address and port name one open connection of the
// listener: the kernel does not reuse them while the gateway holds the
// socket, and a connection leaves the table when it closes.
type tlsListener struct {
	net.Listener
	cfg   *tls.Config
	peers *peers
}

func (l *tlsListener) Accept() (net.Conn, error) {
	raw, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	// The handshake happens at the connection's first read, in its own
	// goroutine, never in the accept loop.
	c := &peerConn{Conn: tls.Server(raw, l.cfg), peers: l.peers}
	if tcp, ok := raw.RemoteAddr().(*net.TCPAddr); ok {
		c.addr = tcp.AddrPort()
		l.peers.add(c)
	}
	return c, nil
}

// peers is the open TLS connections by their client's address and port.
type peers struct {
	mu sync.RWMutex
	m  map[netip.AddrPort]*peerConn
}

func newPeers() *peers { return &peers{m: map[netip.AddrPort]*peerConn{}} }

func (ps *peers) add(c *peerConn) {
	ps.mu.Lock()
	ps.m[c.addr] = c
	ps.mu.Unlock()
}

func (ps *peers) remove(c *peerConn) {
	ps.mu.Lock()
	if ps.m[c.addr] == c {
		delete(ps.m, c.addr)
	}
	ps.mu.Unlock()
}

// clientCert is the fingerprint of the certificate the client of the
// connection at addr presented; false without TLS or without a certificate.
func (ps *peers) clientCert(addr net.Addr) ([32]byte, bool) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || ps == nil {
		return [32]byte{}, false
	}
	ps.mu.RLock()
	c := ps.m[tcp.AddrPort()]
	ps.mu.RUnlock()
	if c == nil {
		return [32]byte{}, false
	}
	return c.clientCert()
}

// peerConn is one TLS connection of the partner listener.
type peerConn struct {
	*tls.Conn
	peers *peers
	addr  netip.AddrPort

	once sync.Once
	cert [32]byte
	has  bool
}

func (c *peerConn) Close() error {
	c.peers.remove(c)
	return c.Conn.Close()
}

// clientCert reads the client's certificate once per connection. It is
// only called by a request's handler, after the request was read, so after
// the handshake: a certificate verified against the client CAs, or none.
func (c *peerConn) clientCert() ([32]byte, bool) {
	c.once.Do(func() {
		st := c.Conn.ConnectionState()
		if st.HandshakeComplete && len(st.PeerCertificates) > 0 {
			c.cert, c.has = sha256.Sum256(st.PeerCertificates[0].Raw), true
		}
	})
	return c.cert, c.has
}

// presented reports whether who may be used on this request's connection:
// a key bound to no certificate may, with or without one; a bound key only
// if the client presented that very certificate (compared in constant
// time). Without TLS or without --client-ca no certificate is ever
// presented, so a bound key is always refused: fail closed.
func (p *Proxy) presented(ctx *fasthttp.RequestCtx, who *keycache.Principal) bool {
	if who.ClientCert.IsZero() {
		return true
	}
	got, ok := p.peers.clientCert(ctx.RemoteAddr())
	return ok && subtle.ConstantTimeCompare(got[:], who.ClientCert[:]) == 1
}
