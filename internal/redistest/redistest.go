package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// InstallHint is printed when redis-server cannot be found.
const InstallHint = "redis-server not found in PATH: run `make test` (it installs it), " +
	"or `sudo apt-get install -y redis-server`"

// Server is one redis-server process owned by a test. Its methods are safe for
// concurrent use.
type Server struct {
	tb testing.TB
	p  proc
}

// Start launches redis-server on a free loopback port with persistence off and
// registers its shutdown with tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return start(tb)
}

// StartReplica launches a redis-server replicating master (REPLICAOF), and
// returns once it is in sync. Persistence is off on it too.
func StartReplica(tb testing.TB, master *Server) *Server {
	tb.Helper()
	s := start(tb, "--replicaof", "127.0.0.1", strconv.Itoa(master.p.port))
	err := waitFor(10*time.Second, func(ctx context.Context) (bool, string) {
		info, err := doAt(ctx, s.Addr(), "INFO", "replication")
		if err != nil {
			return false, err.Error()
		}
		return infoField(fmt.Sprint(info), "master_link_status") == "up", "replica link not up"
	})
	if err != nil {
		tb.Fatalf("redistest: replica of %s: %v", master.Addr(), err)
	}
	return s
}

func start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	needRedisServer(tb)
	// Persistence off; a replica syncs at once. The caller's options
	// (StartReplica's --replicaof) come after.
	s := &Server{tb: tb, p: proc{name: "redis-server", dir: tb.TempDir(), args: append([]string{
		"--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"}, args...)}}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if s.p.port, err = freePort(); err != nil {
			continue
		}
		if err = s.p.start(); err == nil {
			tb.Cleanup(s.Stop)
			return s
		}
	}
	tb.Fatalf("redistest: start redis-server: %v", err)
	return nil
}

// Addr is host:port of the server.
func (s *Server) Addr() string { return s.p.addr() }

// URL is the redis:// URL of the server, as --redis-url takes it.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Stop kills the server and waits for it to exit. Stopping twice is harmless.
func (s *Server) Stop() { s.p.kill() }

// Pause stops the process (SIGSTOP) without closing its connections: it
// neither answers nor acknowledges replication until Resume (Stop kills a
// paused server all the same).
func (s *Server) Pause() { s.p.signal(syscall.SIGSTOP) }

// Resume continues a paused process (SIGCONT).
func (s *Server) Resume() { s.p.signal(syscall.SIGCONT) }

// Restart stops the server (if it runs) and starts it again on the same port,
// with an empty data set (persistence is off), as after a crash.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	var err error
	for attempt := 0; attempt < 50; attempt++ { // the port may linger briefly
		if err = s.p.start(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.tb.Fatalf("redistest: restart redis-server on port %d: %v", s.p.port, err)
}

// waitReady polls with PING until the server answers +PONG or the deadline
// passes.
func waitReady(addr string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var last error
	for ctx.Err() == nil {
		if last = ping(ctx, addr); last == nil {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s not ready after %v: %v", addr, within, last)
}

func ping(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
