package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
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
	tb   testing.TB
	dir  string
	port int
	args []string // extra command-line options (StartReplica's --replicaof)

	mu  sync.Mutex
	cmd *exec.Cmd
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
	s := start(tb, "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
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
	s := &Server{tb: tb, dir: tb.TempDir(), args: args}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if s.port, err = freePort(); err != nil {
			continue
		}
		if err = s.start(); err == nil {
			tb.Cleanup(s.Stop)
			return s
		}
	}
	tb.Fatalf("redistest: start redis-server: %v", err)
	return nil
}

// Addr is host:port of the server.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the redis:// URL of the server, as --redis-url takes it.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Stop kills the server and waits for it to exit. Stopping twice is harmless.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Pause stops the process (SIGSTOP) without closing its connections: it
// neither answers nor acknowledges replication until Resume (Stop kills a
// paused server all the same).
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused process (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// Restart stops the server (if it runs) and starts it again on the same port,
// with an empty data set (persistence is off), as after a crash.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	var err error
	for attempt := 0; attempt < 50; attempt++ { // the port may linger briefly
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.tb.Fatalf("redistest: restart redis-server on port %d: %v", s.port, err)
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command("redis-server", append([]string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--repl-diskless-sync-delay", "0",
		"--dir", s.dir,
		"--logfile", filepath.Join(s.dir, "redis.log"),
	}, s.args...)...)
	if err := cmd.Start(); err != nil {
		return err
	}
	if err := waitReady(s.Addr(), 5*time.Second); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
		return fmt.Errorf("%w; redis.log:\n%s", err, log)
	}
	s.cmd = cmd
	return nil
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
