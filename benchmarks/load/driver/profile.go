package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// profileGateway runs gwprof (serve with a CPU profile) under
// profiledRoute at the first concurrency and summarises the profile with
// pprof.
func (d *driver) profileGateway(ctx context.Context, rg *rig) (string, error) {
	var gw target
	for _, t := range rg.targets {
		if t.name == "gw" {
			gw = t
		}
	}
	if len(gw.routes) == 0 {
		d.logf("no profile: gw is not among -targets")
		return "", nil
	}
	u := strings.Split(rg.originAddr, ":")
	upPort, _ := strconv.Atoi(u[1])
	redisPort, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(d.redisURL, "redis://127.0.0.1:"), "/0"))
	prof, err := filepath.Abs(filepath.Join(d.out, "gateway.cpu.pprof"))
	if err != nil {
		return "", err
	}
	listen, err1 := freePort()
	admin, err2 := freePort()
	if err1 != nil || err2 != nil {
		return "", fmt.Errorf("free port: %v %v", err1, err2)
	}
	argv := append([]string{d.bin("gwprof"), "-cpuprofile", prof, "--"}, serveArgs(listen, admin, upPort, redisPort, "warn")...)
	d.logf("$ %s", shellQuote(argv))
	start := time.Now()
	p, err := d.procs.start("gwprof", nil, argv...)
	if err != nil {
		return "", err
	}
	if _, err := waitReady(p, "http://127.0.0.1:"+strconv.Itoa(admin)+"/readyz", start, 30*time.Second); err != nil {
		return "", err
	}
	t := target{name: "gw-profiled", addr: "127.0.0.1:" + strconv.Itoa(listen), proxy: []int{p.pid()}, routes: []route{profiledRoute(gw.routes)}}
	if _, err := d.measure(ctx, rg, t, t.routes[0], d.conns[0], d.warmup, 0); err != nil {
		return "", err
	}
	if _, err := d.measure(ctx, rg, t, t.routes[0], d.conns[0], d.duration, -1); err != nil {
		return "", err
	}
	p.stop(10 * time.Second)
	top, err := output(ctx, nil, "go", "tool", "pprof", "-top", "-nodecount=35", d.bin("gwprof"), prof)
	if err != nil {
		return "", err
	}
	cum, err := output(ctx, nil, "go", "tool", "pprof", "-top", "-cum", "-nodecount=60", d.bin("gwprof"), prof)
	if err != nil {
		return "", err
	}
	return "pprof -top (flat):\n" + top + "\npprof -top -cum:\n" + cum, nil
}

// profiledRoute is the route the profile is taken under: the list with
// nothing to coalesce (list-distinct), where the gateway does all its work
// for every request; the list itself when only it runs.
func profiledRoute(rs []route) route {
	for _, r := range rs {
		if r.distinct {
			return r
		}
	}
	return rs[0]
}
