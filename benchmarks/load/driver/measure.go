package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"
)

// rounds runs every route, concurrency and target once per round. Runs to
// be compared are adjacent: for each route and concurrency every target
// runs in turn, their order reversed every other round.
func (d *driver) rounds(ctx context.Context, rg *rig) ([]sample, error) {
	var samples []sample
	for round := 1; round <= d.options.rounds; round++ {
		order := append([]target(nil), rg.targets...)
		if round%2 == 0 {
			slices.Reverse(order)
		}
		for _, name := range allRouteNames() {
			for _, c := range d.conns {
				for _, t := range order {
					for _, r := range t.routes {
						if r.name != name {
							continue
						}
						s, err := d.measure(ctx, rg, t, r, c, d.duration, round)
						if err != nil {
							return samples, err
						}
						samples = append(samples, s)
					}
				}
			}
		}
		d.logf("round %d/%d done", round, d.options.rounds)
	}
	return samples, nil
}

// routeNames are the routes in the order they run and are reported, the
// TLS routes last.
var routeNames = []string{"list", "list-distinct", "owner", "path", "invalid", "limited"}

func allRouteNames() []string { return append(append([]string(nil), routeNames...), tlsRouteNames...) }

// measure runs wrk once and reads the proxy's and the origin's CPU time
// around it, and how busy the rest of the machine was. A run during which
// other processes used more than -max-foreign of the machine is done again
// (up to -retries times): this box is shared.
func (d *driver) measure(ctx context.Context, rg *rig, t target, r route, conns int, dur time.Duration, round int) (sample, error) {
	phase := "round " + strconv.Itoa(round)
	switch round {
	case 0:
		phase = "warm-up"
	case -1:
		phase = "profiled"
	}
	for attempt := 1; ; attempt++ {
		if err := d.waitQuiet(ctx); err != nil {
			return sample{}, err
		}
		s, out, err := d.measureOnce(ctx, rg, t, r, conns, dur, round)
		if err != nil {
			return s, err
		}
		s.Attempts = attempt
		d.logf("%s %-23s %-7s c%-3d %8.0f req/s p50 %5.0f µs p99 %6.0f µs proxy %5.1f µs/req (%.2f syscalls, %.2f switches) origin %4.1f µs/req (%.2f requests) foreign %4.1f%% steal %4.1f%%",
			phase, t.name, r.name, conns, s.RPS, s.P50us, s.P99us, s.ProxyCPU, s.ProxySyscalls, s.ProxySwitches, s.OriginCPU, s.UpstreamPerReq, 100*s.Foreign, 100*s.Steal)
		minNon2xx, maxNon2xx := int64(0), int64(0)
		if r.status != 200 {
			minNon2xx, maxNon2xx = s.Requests, s.Requests
		}
		if r.admitted != nil {
			minNon2xx -= r.admitted(dur)
		}
		if s.Errors != 0 || s.Non2xx < minNon2xx || s.Non2xx > maxNon2xx {
			// A warm-up is not reported: a busy machine may time it out.
			if round != 0 {
				d.problems = append(d.problems, fmt.Sprintf("%s %s %s c%d: %d socket errors, %d non-2xx of %d", phase, t.name, r.name, conns, s.Errors, s.Non2xx, s.Requests))
			}
			d.logf("NOT CLEAN:\n%s", out)
		}
		if err := d.sleep(ctx, d.pause); err != nil {
			return s, err
		}
		if s.Foreign <= d.maxForeign || attempt > d.retries || round == 0 {
			return s, nil
		}
		d.logf("other processes used %.1f%% of the machine: again after %v", 100*s.Foreign, d.backoff)
		if err := d.sleep(ctx, d.backoff); err != nil {
			return s, err
		}
	}
}

// waitQuiet waits, at most -quiet-wait, until other processes use no more
// than -quiet of the machine (measured over half a second while the rig is
// idle), so a run does not start in the middle of someone else's build.
func (d *driver) waitQuiet(ctx context.Context) error {
	if d.quiet >= 1 {
		return nil
	}
	start, lastLog := time.Now(), time.Time{}
	for {
		busy, err := d.othersBusy(ctx, 500*time.Millisecond)
		if err != nil || busy <= d.quiet {
			return err
		}
		if time.Since(start) > d.quietWait {
			d.logf("still %.0f%% busy after %v: running anyway", 100*busy, d.quietWait)
			return nil
		}
		if time.Since(lastLog) > 30*time.Second {
			d.logf("other processes use %.0f%% of the machine: waiting for <%.0f%%", 100*busy, 100*d.quiet)
			lastLog = time.Now()
		}
		if err := d.sleep(ctx, time.Second); err != nil {
			return err
		}
	}
}

// othersBusy is the share of the machine the processes the driver did not
// start used over window.
func (d *driver) othersBusy(ctx context.Context, window time.Duration) (float64, error) {
	rig := d.procs.pids()
	m0, err0 := readMachineTicks()
	g0, err1 := sumTicks(rig)
	s0, err2 := cpuTicks(os.Getpid())
	if err := d.sleep(ctx, window); err != nil {
		return 0, err
	}
	m1, err3 := readMachineTicks()
	g1, err4 := sumTicks(rig)
	s1, err5 := cpuTicks(os.Getpid())
	if err := firstErr(err0, err1, err2, err3, err4, err5); err != nil {
		return 0, err
	}
	total := m1.total - m0.total
	if total <= 0 {
		return 0, nil
	}
	return max(0, float64((m1.busy-m0.busy)-(g1-g0)-(s1-s0))/float64(total)), nil
}

func (d *driver) sleep(ctx context.Context, t time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(t):
		return nil
	}
}

func (d *driver) measureOnce(ctx context.Context, rg *rig, t target, r route, conns int, dur time.Duration, round int) (sample, string, error) {
	if err := ctx.Err(); err != nil {
		return sample{}, "", err
	}
	script := ""
	if r.distinct {
		script = d.distinctScript
	}
	argv := wrkArgs(d.wrkCPU, conns, dur, r.scheme()+"://"+t.addr+r.path, r.headers, script)
	rig := d.procs.pids()
	m0, err0 := readMachineTicks()
	g0, err1 := sumTicks(rig)
	s0, err2 := cpuTicks(os.Getpid())
	p0, err3 := sumTicks(t.proxy)
	o0, err4 := cpuTicks(rg.originPid)
	c0, errC0 := sumCounters(t.proxy)
	u0, errU0 := originStats(rg.originAddr)
	res, out, wrkCPU, err := runWrk(ctx, argv)
	u1, errU1 := originStats(rg.originAddr)
	c1, errC1 := sumCounters(t.proxy)
	m1, err5 := readMachineTicks()
	g1, err6 := sumTicks(rig)
	s1, err7 := cpuTicks(os.Getpid())
	p1, err8 := sumTicks(t.proxy)
	o1, err9 := cpuTicks(rg.originPid)
	if err != nil {
		return sample{}, out, err
	}
	if e := firstErr(err0, err1, err2, err3, err4, err5, err6, err7, err8, err9, errC0, errC1); e != nil {
		return sample{}, out, fmt.Errorf("read CPU time: %w (did a process exit?)", e)
	}
	if e := firstErr(errU0, errU1); e != nil {
		return sample{}, out, fmt.Errorf("read the origin's counters: %w", e)
	}
	perReq := func(ticks int64) float64 {
		if res.Requests == 0 {
			return 0
		}
		return float64(ticks) * 1e6 / float64(d.ticks) / float64(res.Requests)
	}
	s := sample{
		Round: round, Target: t.name, Route: r.name, Conns: conns, Requests: res.Requests, RPS: res.RPS,
		P50us: float64(res.P50.Nanoseconds()) / 1e3, P99us: float64(res.P99.Nanoseconds()) / 1e3,
		ProxyCPU: perReq(p1 - p0), OriginCPU: perReq(o1 - o0), Non2xx: res.Non2xx, Errors: res.SocketErrors,
	}
	if res.Requests > 0 {
		s.UpstreamPerReq = float64(u1.Requests-u0.Requests) / float64(res.Requests)
		s.ProxySyscalls = float64(c1.syscalls-c0.syscalls) / float64(res.Requests)
		s.ProxySwitches = float64(c1.switches-c0.switches) / float64(res.Requests)
	}
	if total := m1.total - m0.total; total > 0 {
		wrkTicks := int64(wrkCPU.Seconds() * float64(d.ticks))
		foreign := (m1.busy - m0.busy) - (g1 - g0) - (s1 - s0) - wrkTicks
		s.Foreign = max(0, float64(foreign)/float64(total))
		s.Steal = float64(m1.steal-m0.steal) / float64(total)
	}
	return s, out, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
