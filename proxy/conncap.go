package proxy

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"reportgate/internal/apierr"
)

// connCap caps the open connections of each client address. It replaces
// fasthttp's MaxConnsPerIP, which answers the connection it refuses with a
// text/plain body: every answer of the gateway is the spec's Error
// (docs/contract.md; found by the contract test, issue 17). Safe for
// concurrent use.
type connCap struct {
	net.Listener
	max     int
	refusal []byte // the whole HTTP answer written to a refused connection
	logged  func(net.Addr)

	mu   sync.Mutex
	open map[netip.Addr]int
	last time.Time // of the last refusal logged
}

// refusedWriteTimeout bounds the write of a refusal, made in the accept
// loop: a client that does not read must not hold it.
const refusedWriteTimeout = time.Second

// capConns wraps ln so that a client address holds at most max
// connections; beyond, a connection gets a 429 in the Error shape and is
// closed, and refused is called at most once a minute. max <= 0: ln.
func capConns(ln net.Listener, max int, refused func(net.Addr)) net.Listener {
	if max <= 0 {
		return ln
	}
	body := apierr.Render(429, fmt.Sprintf("too many connections from this address (at most %d)", max))
	answer := fmt.Appendf(nil, "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\n\r\n%s", len(body), body)
	return &connCap{Listener: ln, max: max, refusal: answer, logged: refused, open: map[netip.Addr]int{}}
}

// Accept returns the next connection its address may open, refusing the
// others on the way.
func (l *connCap) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr, ok := clientAddr(c)
		if !ok {
			return c, nil // not TCP: no address to count
		}
		if l.acquire(addr) {
			return &cappedConn{Conn: c, release: func() { l.release(addr) }}, nil
		}
		l.refuse(c)
	}
}

func (l *connCap) acquire(addr netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr] >= l.max {
		return false
	}
	l.open[addr]++
	return true
}

func (l *connCap) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr]--; l.open[addr] <= 0 {
		delete(l.open, addr)
	}
}

func (l *connCap) refuse(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(refusedWriteTimeout))
	_, _ = c.Write(l.refusal)
	_ = c.Close()
	l.mu.Lock()
	log := time.Since(l.last) > time.Minute
	if log {
		l.last = time.Now()
	}
	l.mu.Unlock()
	if log && l.logged != nil {
		l.logged(c.RemoteAddr())
	}
}

func clientAddr(c net.Conn) (netip.Addr, bool) {
	tcp, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	addr, ok := netip.AddrFromSlice(tcp.IP)
	return addr.Unmap(), ok
}

// cappedConn gives its address's place back once, when closed.
type cappedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *cappedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
