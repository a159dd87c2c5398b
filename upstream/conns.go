package upstream

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// dial is the HostClient's DialTimeout: fasthttp's own dialing (or
// Options.Dial), with every connection kept in c.conns so Abort can close
// the ones in use too (fasthttp can only close its idle ones).
func (c *Client) dial(addr string, timeout time.Duration) (net.Conn, error) {
	if c.conns.isClosed() {
		return nil, ErrClosed
	}
	var conn net.Conn
	var err error
	switch {
	case c.dialer != nil:
		conn, err = c.dialer(addr)
	case timeout > 0:
		conn, err = fasthttp.DialTimeout(addr, timeout)
	default:
		conn, err = fasthttp.Dial(addr)
	}
	if err != nil {
		return nil, err
	}
	return c.conns.add(conn)
}

// retryIf is the HostClient's RetryIfErr: whether a failed exchange is
// sent again. fasthttp asks only about errors of an exchange on an open
// connection (not a failed dial, not a body over the limit), and at most
// once here (MaxIdemponentCallAttempts 2). Retried: a GET, and only when
// nothing of the answer arrived, which fasthttp reports in two ways —
//
//   - io.EOF: the connection was closed or reset before the first byte of
//     the answer (ResponseHeader.tryRead turns any error on the first byte
//     but a timeout into io.EOF; HostClient.Do reports it to the caller as
//     ErrConnectionClosed);
//   - an error writing the request (a *net.OpError "write", e.g. a broken
//     pipe or a reset): the upstream cannot have answered a request it did
//     not receive.
//
// That is what an idle connection the upstream (or a load balancer) has
// closed looks like. Fasthttp does not say whether the connection was
// fresh or pooled, so a fresh one closed before answering is retried too,
// as nginx's default proxy_next_upstream would. Never retried: timeouts
// (the upstream is slow; a retry would double the wait), an answer cut
// after its first byte, anything after Abort.
//
// The idle connections are closed first: the pool hands out the most
// recently used one, so every other idle connection has been idle longer
// than the one that just failed and is likely closed too; the retry dials.
func (c *Client) retryIf(req *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
	if attempts > 1 || !req.Header.IsGet() || !nothingReceived(err) || c.conns.isClosed() {
		return false, false
	}
	c.retries.Add(1)
	c.client.CloseIdleConnections()
	return false, true
}

func nothingReceived(err error) bool {
	if err == io.EOF { //nolint:errorlint // fasthttp returns io.EOF itself, unwrapped
		return true
	}
	op, ok := errors.AsType[*net.OpError](err)
	return ok && op.Op == "write" && !op.Timeout()
}

// connSet holds the client's open connections. Safe for concurrent use.
type connSet struct {
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
	// closed is set under mu, read without it on every exchange.
	closed atomic.Bool
}

// add tracks conn, or closes it when the set was closed meanwhile.
func (s *connSet) add(conn net.Conn) (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		conn.Close()
		return nil, ErrClosed
	}
	if s.conns == nil {
		s.conns = map[*trackedConn]struct{}{}
	}
	t := &trackedConn{Conn: conn, set: s}
	s.conns[t] = struct{}{}
	return t, nil
}

func (s *connSet) remove(t *trackedConn) {
	s.mu.Lock()
	delete(s.conns, t)
	s.mu.Unlock()
}

func (s *connSet) isClosed() bool { return s.closed.Load() }

// closeAll closes every tracked connection and refuses new ones.
func (s *connSet) closeAll() {
	s.mu.Lock()
	s.closed.Store(true)
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for t := range conns {
		t.Conn.Close()
	}
}

// trackedConn is a connection that leaves its set when closed.
type trackedConn struct {
	net.Conn
	set  *connSet
	once sync.Once
}

func (t *trackedConn) Close() error {
	t.once.Do(func() { t.set.remove(t) })
	return t.Conn.Close()
}
