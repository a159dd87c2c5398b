package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one process the driver started; only those are ever signalled.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// procs starts processes pinned to a CPU list and stops them all, newest
// first, on the way out.
type procs struct {
	cpu string // taskset's CPU list for every process started
	dir string // where each process's output goes, <name>.log

	mu   sync.Mutex
	list []*proc
}

// start runs argv pinned to p.cpu, with env added to the driver's, and its
// output in <dir>/<name>.log.
func (p *procs) start(name string, env []string, argv ...string) (*proc, error) {
	logf, err := os.Create(filepath.Join(p.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("taskset", append([]string{"-c", p.cpu}, argv...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so a Ctrl-C of the driver reaches the driver
	// only, and the driver stops everything in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logf.WriteString("# " + shellQuote(cmd.Args) + "\n")
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	pr := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		pr.err = cmd.Wait()
		logf.Close()
		close(pr.done)
	}()
	p.mu.Lock()
	p.list = append(p.list, pr)
	p.mu.Unlock()
	return pr, nil
}

// pid is the process's id (taskset execs the command, so it is the
// command's own).
func (pr *proc) pid() int { return pr.cmd.Process.Pid }

// exited reports whether the process has ended.
func (pr *proc) exited() bool {
	select {
	case <-pr.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to grace, then SIGKILL.
func (pr *proc) stop(grace time.Duration) {
	if pr.exited() {
		return
	}
	_ = pr.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-pr.done:
	case <-time.After(grace):
		_ = pr.cmd.Process.Kill()
		<-pr.done
	}
}

// stopAll stops every process started, newest first.
func (p *procs) stopAll() {
	p.mu.Lock()
	list := p.list
	p.list = nil
	p.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		list[i].stop(10 * time.Second)
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitTCP waits until addr accepts connections, or pr exits.
func waitTCP(pr *proc, addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if pr.exited() {
			return fmt.Errorf("%s exited: %v (see %s.log)", pr.name, pr.err, pr.name)
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%s: %s not accepting after %v", pr.name, addr, within)
}

// waitReady polls url every millisecond until it answers 200, and returns
// how long that took from since.
func waitReady(pr *proc, url string, since time.Time, within time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: time.Second}
	deadline := since.Add(within)
	for time.Now().Before(deadline) {
		if pr.exited() {
			return 0, fmt.Errorf("%s exited: %v (see %s.log)", pr.name, pr.err, pr.name)
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(since), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("%s: %s not ready after %v", pr.name, url, within)
}

// cpuTicks is utime+stime of pid (all its threads), in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatTicks(b)
}

// parseStatTicks reads fields 14 (utime) and 15 (stime) of a
// /proc/<pid>/stat line. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseStatTicks(stat []byte) (int64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return u + s, nil
}

// sumTicks adds cpuTicks over pids.
func sumTicks(pids []int) (int64, error) {
	var total int64
	for _, pid := range pids {
		t, err := cpuTicks(pid)
		if err != nil {
			return 0, err
		}
		total += t
	}
	return total, nil
}

// children lists the processes whose parent is pid (nginx's workers and
// cache manager), but not nginx's cache loader: it exits about a minute after
// start, and a CPU reading of a process that has gone fails.
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) && !cacheLoader(child) {
			out = append(out, child)
		}
	}
	return out
}

// cacheLoader reports whether pid is nginx's cache loader process.
func cacheLoader(pid int) bool {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return bytes.Contains(b, []byte("cache loader"))
}

// rssKiB reads VmRSS of pid.
func rssKiB(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// clockTicks is USER_HZ (getconf CLK_TCK), 100 when it cannot be asked.
func clockTicks() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 100
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || n <= 0 {
		return 100
	}
	return n
}

// output runs a command to completion and returns its stdout; stderr goes
// into the error.
func output(ctx context.Context, env []string, argv ...string) (string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", shellQuote(argv), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// shellQuote renders argv as a command one can paste.
func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+", r))
		}) < 0 {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// machineTicks are /proc/stat's busy and total ticks over every CPU.
type machineTicks struct{ busy, steal, total int64 }

func readMachineTicks() (machineTicks, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTicks{}, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseMachineTicks(line)
}

// parseMachineTicks reads the aggregate "cpu" line: user nice system idle
// iowait irq softirq steal …
func parseMachineTicks(line string) (machineTicks, error) {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return machineTicks{}, fmt.Errorf("unexpected /proc/stat line %q", line)
	}
	var v [8]int64
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return machineTicks{}, err
		}
		v[i] = n
	}
	busy := v[0] + v[1] + v[2] + v[5] + v[6]
	return machineTicks{busy: busy, steal: v[7], total: busy + v[3] + v[4] + v[7]}, nil
}

// pids are the processes started that are still running.
func (p *procs) pids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for _, pr := range p.list {
		if !pr.exited() {
			out = append(out, pr.pid())
			out = append(out, children(pr.pid())...)
		}
	}
	return out
}

// counters are a process's read and write system calls (/proc/<pid>/io,
// all threads) and context switches (every thread's, voluntary or not).
type counters struct{ syscalls, switches int64 }

func readCounters(pid int) (counters, error) {
	var c counters
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/io")
	if err != nil {
		return c, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && (k == "syscr" || k == "syscw") {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			c.syscalls += n
		}
	}
	tasks, err := os.ReadDir(dir + "/task")
	if err != nil {
		return c, err
	}
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/task/" + t.Name() + "/status")
		if err != nil {
			continue // the thread ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				c.switches += n
			}
		}
	}
	return c, nil
}

// sumCounters adds readCounters over pids.
func sumCounters(pids []int) (counters, error) {
	var total counters
	for _, pid := range pids {
		c, err := readCounters(pid)
		if err != nil {
			return total, err
		}
		total.syscalls += c.syscalls
		total.switches += c.switches
	}
	return total, nil
}
