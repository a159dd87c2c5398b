package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// proc is one redis-server process of a Sentinel or Cluster set-up: a data
// node or a sentinel, with its own directory. Its methods are safe for
// concurrent use.
type proc struct {
	name string // "node-0", "sentinel-1": log and error messages
	dir  string
	port int
	// args are the command line after the port options; a sentinel's first
	// argument is its configuration file.
	args []string

	mu  sync.Mutex
	cmd *exec.Cmd
}

func (p *proc) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

func (p *proc) logPath() string { return filepath.Join(p.dir, "redis.log") }

// start launches the process and waits until it answers PING.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	args := append(append([]string{}, p.args...),
		"--port", strconv.Itoa(p.port), "--bind", "127.0.0.1", "--dir", p.dir, "--logfile", p.logPath())
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	if err := waitReady(p.addr(), 5*time.Second); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log, _ := os.ReadFile(p.logPath())
		return fmt.Errorf("%s: %w; redis.log:\n%s", p.name, err, log)
	}
	p.cmd = cmd
	return nil
}

// kill sends SIGKILL (kill -9: no shutdown, no final write) and reaps the
// process. Killing a stopped process is harmless.
func (p *proc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// signal sends sig to the process, if it runs.
func (p *proc) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		_ = p.cmd.Process.Signal(sig)
	}
}

func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// client is a go-redis client for this one process, with short timeouts:
// the harness asks questions whose answer it polls for anyway.
func (p *proc) client() *redis.Client { return clientAt(p.addr()) }

func clientAt(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, DialTimeout: 500 * time.Millisecond,
		ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1,
	})
}

// do sends one command to the process on a fresh connection.
func (p *proc) do(ctx context.Context, args ...any) (any, error) { return doAt(ctx, p.addr(), args...) }

func doAt(ctx context.Context, addr string, args ...any) (any, error) {
	c := clientAt(addr)
	defer c.Close()
	return c.Do(ctx, args...).Result()
}

// freePorts reserves n distinct free loopback ports at once (so that no two
// of them are the same), and releases them for the caller to bind.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		held = append(held, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// needRedisServer fails tb with the install hint when the binary is missing.
func needRedisServer(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Fatal(InstallHint)
	}
}

// killAll stops every process; set-ups register it with tb.Cleanup and call
// it after a failed attempt.
func killAll(ps []*proc) {
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() { defer wg.Done(); p.kill() }()
	}
	wg.Wait()
}

// waitFor polls cond every 10 ms until it reports done or within passes;
// the error carries cond's last description of the state it saw.
func waitFor(within time.Duration, cond func(ctx context.Context) (bool, string)) error {
	deadline := time.Now().Add(within)
	var state string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var done bool
		done, state = cond(ctx)
		cancel()
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v: %s", within, state)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not a wait for an event
	}
}

// infoField returns one "name:value" line's value from an INFO reply.
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSuffix(line, "\r"), ":"); ok && k == name {
			return v
		}
	}
	return ""
}
