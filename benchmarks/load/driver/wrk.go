package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run reports.
type wrkResult struct {
	Requests     int64
	Seconds      float64
	RPS          float64
	P50, P99     time.Duration
	Non2xx       int64
	SocketErrors int64
}

// wrkArgs is the command line of one run, pinned to cpu.
func wrkArgs(cpu string, conns int, d time.Duration, url string, headers []string, script string) []string {
	argv := []string{"taskset", "-c", cpu, "wrk", "-t1", "-c" + strconv.Itoa(conns), "-d" + wrkDuration(d), "--latency"}
	if script != "" {
		argv = append(argv, "-s", script)
	}
	for _, h := range headers {
		argv = append(argv, "-H", h)
	}
	return append(argv, url)
}

func wrkDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.Itoa(int(d/time.Second)) + "s"
	}
	return strconv.Itoa(int(d/time.Millisecond)) + "ms"
}

// runWrk runs wrk and parses its report; cpu is the CPU time wrk used.
func runWrk(ctx context.Context, argv []string) (r wrkResult, out string, cpu time.Duration, err error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return r, string(b), cpu, fmt.Errorf("%s: %w: %s", shellQuote(argv), err, stderr.String())
	}
	r, err = parseWrk(string(b))
	return r, string(b), cpu, err
}

// parseWrk reads wrk 4's text report (with --latency).
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveReq, have50, have99 bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && f[0] == "50%":
			d, err := parseWrkDuration(f[1])
			if err != nil {
				return r, err
			}
			r.P50, have50 = d, true
		case len(f) >= 2 && f[0] == "99%":
			d, err := parseWrkDuration(f[1])
			if err != nil {
				return r, err
			}
			r.P99, have99 = d, true
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk: request count %q: %w", f[0], err)
			}
			d, err := parseWrkDuration(strings.TrimSuffix(f[3], ","))
			if err != nil {
				return r, err
			}
			r.Requests, r.Seconds, haveReq = n, d.Seconds(), true
		case len(f) >= 5 && f[0] == "Non-2xx":
			n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk: non-2xx count: %w", err)
			}
			r.Non2xx = n
		case len(f) >= 2 && f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 3; i < len(f); i += 2 {
				n, err := strconv.ParseInt(strings.TrimSuffix(f[i], ","), 10, 64)
				if err != nil {
					return r, fmt.Errorf("wrk: socket errors: %w", err)
				}
				r.SocketErrors += n
			}
		}
	}
	if !haveReq || !have50 || !have99 {
		return r, fmt.Errorf("wrk: report without request count or latency distribution:\n%s", out)
	}
	if r.Seconds > 0 {
		r.RPS = float64(r.Requests) / r.Seconds
	}
	return r, nil
}

// parseWrkDuration reads wrk's "512.00us", "1.20ms", "10.00s", "2.00m".
func parseWrkDuration(s string) (time.Duration, error) {
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("wrk: duration %q: %w", s, err)
			}
			return time.Duration(v * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("wrk: duration %q has no unit", s)
}
