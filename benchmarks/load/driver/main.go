// Command driver is the load harness behind benchmarks/load/run.sh (make
// bench). It starts the fixed-response origin, redis-server, the
// gateway (`reportgate serve`, a key created with the product's CLI) and
// nginx as a plain proxy_pass, all pinned to one CPU; then drives each with
// wrk pinned to the other, in interleaved rounds, and writes what it
// measured: every run (samples.tsv) and the tables of RESULTS.md
// (summary.md), with CPU per request read from /proc/<pid>/stat.
//
// It is not part of `go test`; run.sh installs wrk and nginx and builds the
// binaries it needs.
package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"reportgate/benchmarks/origin"
	"reportgate/registry"
)

type options struct {
	bin, out       string
	baseBin        string
	rounds         int
	duration       time.Duration
	warmup, pause  time.Duration
	conns          []int
	variants       bool
	profile        bool
	startups       int
	wrkCPU, rigCPU string
	maxForeign     float64
	retries        int
	backoff        time.Duration
	quiet          float64
	quietWait      time.Duration
	keys           int
	tls            bool
	targets        string
	cache          bool
	cacheTTL       time.Duration
}

type driver struct {
	options
	procs    *procs
	logFile  *os.File
	redisURL string
	ticks    int64
	problems []string
	// tlsPool trusts the bench certificate (-tls).
	tlsPool *x509.CertPool
	// distinctScript is the path of the list-distinct route's wrk script.
	distinctScript string
}

func main() {
	var o options
	var conns string
	flag.StringVar(&o.bin, "bin", "bin/bench", "directory holding reportgate, upstream and gwprof")
	flag.StringVar(&o.out, "out", "", "output directory (default benchmarks/out/<UTC time>)")
	flag.StringVar(&o.baseBin, "base-bin", "", "a reportgate binary of another revision, run as gw-base on the list route")
	flag.IntVar(&o.rounds, "rounds", 5, "interleaved rounds")
	flag.DurationVar(&o.duration, "duration", 8*time.Second, "length of one wrk run")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "warm-up per target and route, before the rounds")
	flag.DurationVar(&o.pause, "pause", time.Second, "pause between runs")
	flag.StringVar(&conns, "conns", "32,8", "wrk connections, in order (throughput first, then latency)")
	flag.BoolVar(&o.variants, "variants", true, "also run gw-gomaxprocs4, gw-accesslog and gw-accesslog-unbuffered on the list route")
	flag.BoolVar(&o.profile, "profile", true, "profile the gateway (gwprof) under the list route with nothing to coalesce (list-distinct) at the first concurrency")
	flag.IntVar(&o.startups, "startups", 5, "times `reportgate serve` is started to time readiness")
	flag.StringVar(&o.wrkCPU, "wrk-cpu", "0", "CPU list for wrk")
	flag.StringVar(&o.rigCPU, "server-cpu", "1", "CPU list for the origin, the proxies and redis-server")
	flag.Float64Var(&o.maxForeign, "max-foreign", 0.05, "redo a run when other processes used more than this share of the machine")
	flag.IntVar(&o.retries, "retries", 3, "times a run is redone for -max-foreign")
	flag.DurationVar(&o.backoff, "backoff", 5*time.Second, "wait before redoing a run")
	flag.Float64Var(&o.quiet, "quiet", 0.15, "before each run, wait until other processes use at most this share of the machine (1 disables)")
	flag.DurationVar(&o.quietWait, "quiet-wait", 10*time.Minute, "longest wait for -quiet before running anyway")
	flag.IntVar(&o.keys, "keys", 100_000, "at the end, file this many keys, use each once through the gateway and read its RSS (0 skips)")
	flag.BoolVar(&o.tls, "tls", true, "also run the list route over TLS: gw-tls (--tls-cert) against nginx-tls, reused connections and full handshakes")
	flag.StringVar(&o.targets, "targets", "", "run only these targets, comma-separated (e.g. gw-tls,nginx-tls); all when empty")
	flag.BoolVar(&o.cache, "cache", true, "also run the list route with the response cache on: gw-cache (--upstream-cache-ttl) against nginx-cache (proxy_cache)")
	flag.DurationVar(&o.cacheTTL, "cache-ttl", 2*time.Second, "the cache TTL of gw-cache and nginx-cache (whole seconds for nginx)")
	flag.Parse()
	for _, c := range strings.Split(conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "driver: -conns %q: want positive integers\n", conns)
			os.Exit(2)
		}
		o.conns = append(o.conns, n)
	}
	if o.out == "" {
		o.out = filepath.Join("benchmarks", "out", time.Now().UTC().Format("20060102T150405Z"))
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "driver:", err)
		os.Exit(1)
	}
	d := &driver{options: o, procs: &procs{cpu: o.rigCPU, dir: o.out}, ticks: clockTicks()}
	d.logFile, _ = os.Create(filepath.Join(o.out, "driver.log"))
	d.distinctScript = filepath.Join(o.out, "distinct.lua")
	if err := os.WriteFile(d.distinctScript, []byte(distinctScript), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "driver:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := d.run(ctx)
	stop()
	d.procs.stopAll()
	if err == nil && len(d.problems) > 0 {
		err = fmt.Errorf("%d run(s) were not clean: %s", len(d.problems), strings.Join(d.problems, "; "))
	}
	if err != nil {
		d.logf("FAILED: %v", err)
		os.Exit(1)
	}
	d.logf("results in %s (summary.md, samples.tsv)", o.out)
}

func (d *driver) logf(format string, args ...any) {
	line := time.Now().UTC().Format("15:04:05 ") + fmt.Sprintf(format, args...) + "\n"
	os.Stderr.WriteString(line)
	if d.logFile != nil {
		d.logFile.WriteString(line)
	}
}

func (d *driver) bin(name string) string { return filepath.Join(d.options.bin, name) }

func execCommand(ctx context.Context, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, argv[0], argv[1:]...)
}

// rig is everything started for the rounds.
type rig struct {
	originAddr string
	originPid  int
	targets    []target
	gwPid      int
	gwIdleRSS  int64
	manyKeys   string // the RSS line of manyKeys
	nginxPids  []int
	startups   []time.Duration
}

func (d *driver) run(ctx context.Context) error {
	header := d.versions(ctx)
	for _, line := range header {
		d.logf("%s", line)
	}
	rg, err := d.setUp(ctx)
	if err != nil {
		return err
	}
	if line := d.tlsSummary(ctx, rg.targets); line != "" {
		d.logf("%s", line)
		header = append(header, line)
	}
	if err := d.check(rg.targets); err != nil {
		return err
	}
	d.logf("every target answered every route as the origin does")
	for _, t := range rg.targets {
		for _, r := range t.routes {
			if _, err := d.measure(ctx, rg, t, r, d.conns[0], d.warmup, 0); err != nil {
				return err
			}
		}
	}
	samples, err := d.rounds(ctx, rg)
	if err != nil {
		// Keep what was measured: the summary says the run is incomplete.
		d.problems = append(d.problems, "interrupted: "+err.Error())
		_ = d.write(header, rg, samples, "not read", rssKiB(rg.gwPid), 0, "")
		return err
	}
	stats, err := originStats(rg.originAddr)
	if err != nil {
		return err
	}
	if stats.KeyLeaks != 0 || stats.MissingUser != 0 || stats.Unfiltered != 0 || stats.NotFound != 0 {
		d.problems = append(d.problems, fmt.Sprintf("origin saw %+v", stats))
	}
	loadedRSS, nginxRSS := rssKiB(rg.gwPid), int64(0)
	for _, pid := range rg.nginxPids {
		nginxRSS += rssKiB(pid)
	}
	var profile string
	if d.profile {
		if profile, err = d.profileGateway(ctx, rg); err != nil {
			return err
		}
	}
	if d.keys > 0 {
		if rg.manyKeys, err = d.manyKeys(ctx, rg, d.keys); err != nil {
			return err
		}
	}
	return d.write(header, rg, samples, stats, loadedRSS, nginxRSS, profile)
}

// setUp starts redis-server, the origin and the targets, and creates the
// key.
func (d *driver) setUp(ctx context.Context) (*rig, error) {
	rg := &rig{}
	upPort, redisPort, err := d.startBackends(rg)
	if err != nil {
		return nil, err
	}
	if rg.startups, err = d.timeStartups(upPort, redisPort); err != nil {
		return nil, err
	}
	gw, gwAddr, adminAddr, err := d.startGateway("gw", d.bin("reportgate"), nil, upPort, redisPort, "warn")
	if err != nil {
		return nil, err
	}
	rg.gwPid, rg.gwIdleRSS = gw.pid(), rssKiB(gw.pid())
	secret, limited, err := d.createKeys(ctx, adminAddr)
	if err != nil {
		return nil, err
	}
	unknown, err := registry.GenerateKey()
	if err != nil {
		return nil, err
	}
	rg.targets = append(rg.targets,
		target{name: "direct", addr: rg.originAddr, routes: withDistinct(directRoutes(true))},
		target{name: "gw", addr: gwAddr, proxy: []int{gw.pid()}, routes: withDistinct(gatewayRoutes(secret, unknown, limited, true))})
	variants, err := d.startVariants(upPort, redisPort, gatewayRoutes(secret, unknown, limited, false))
	if err != nil {
		return nil, err
	}
	rg.targets = append(rg.targets, variants...)
	var tlsFiles []string
	if d.tls {
		tlsTarget, files, err := d.startTLSGateway(upPort, redisPort, gatewayRoutes(secret, unknown, limited, false)[0])
		if err != nil {
			return nil, err
		}
		rg.targets, tlsFiles = append(rg.targets, tlsTarget), files
	}
	if d.cache {
		cacheTarget, err := d.startCacheGateway(upPort, redisPort, gatewayRoutes(secret, unknown, limited, false)[0])
		if err != nil {
			return nil, err
		}
		rg.targets = append(rg.targets, cacheTarget)
	}
	nginx, nginxAddr, nginxTLSAddr, nginxCacheAddr, err := d.startNginx(upPort, tlsFiles)
	if err != nil {
		return nil, err
	}
	rg.nginxPids = append([]int{nginx.pid()}, children(nginx.pid())...)
	rg.targets = append(rg.targets, target{name: "nginx", addr: nginxAddr, proxy: rg.nginxPids, routes: withDistinct(directRoutes(false))})
	if d.tls {
		rg.targets = append(rg.targets, target{name: "nginx-tls", addr: nginxTLSAddr, proxy: rg.nginxPids,
			routes: tlsRoutes(directRoutes(false)[0])})
	}
	if d.cache {
		rg.targets = append(rg.targets, target{name: "nginx-cache", addr: nginxCacheAddr, proxy: rg.nginxPids,
			routes: directRoutes(false)[:1]})
	}
	d.logf("nginx master %d, workers %v", nginx.pid(), rg.nginxPids[1:])
	rg.targets = keepTargets(rg.targets, d.targets)
	return rg, nil
}

// startBackends starts redis-server and the origin.
func (d *driver) startBackends(rg *rig) (upPort, redisPort int, err error) {
	if redisPort, err = freePort(); err != nil {
		return 0, 0, err
	}
	redis, err := d.procs.start("redis", nil, "redis-server", "--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", d.out)
	if err != nil {
		return 0, 0, err
	}
	if err := waitTCP(redis, "127.0.0.1:"+strconv.Itoa(redisPort), time.Minute); err != nil {
		return 0, 0, err
	}
	d.redisURL = "redis://127.0.0.1:" + strconv.Itoa(redisPort) + "/0"
	if upPort, err = freePort(); err != nil {
		return 0, 0, err
	}
	up, err := d.procs.start("upstream", nil, d.bin("upstream"), "-listen", "127.0.0.1:"+strconv.Itoa(upPort))
	if err != nil {
		return 0, 0, err
	}
	rg.originAddr, rg.originPid = "127.0.0.1:"+strconv.Itoa(upPort), up.pid()
	return upPort, redisPort, waitTCP(up, rg.originAddr, time.Minute)
}

// startVariants starts the gateways run on the list route only: GOMAXPROCS
// 4, the access log on (to its log file; list-distinct too), and another
// revision (-base-bin).
func (d *driver) startVariants(upPort, redisPort int, routes []route) ([]target, error) {
	type variant struct {
		name, binary, level string
		env                 []string
	}
	var vs []variant
	if d.variants {
		vs = append(vs, variant{"gw-gomaxprocs4", d.bin("reportgate"), "warn", []string{"GOMAXPROCS=4"}},
			variant{"gw-accesslog", d.bin("reportgate"), "info", nil},
			variant{"gw-accesslog-unbuffered", d.bin("reportgate"), "info", []string{"REPORTGATE_LOG_FLUSH=0"}})
	}
	if d.baseBin != "" {
		vs = append(vs, variant{"gw-base", d.baseBin, "warn", nil})
	}
	var out []target
	for _, v := range vs {
		p, addr, _, err := d.startGateway(v.name, v.binary, v.env, upPort, redisPort, v.level)
		if err != nil {
			return nil, err
		}
		rs := routes
		if v.name == "gw-accesslog" {
			rs = withDistinct(routes) // every step on, nothing to coalesce
		}
		out = append(out, target{name: v.name, addr: addr, proxy: []int{p.pid()}, routes: rs})
	}
	return out, nil
}

// startGateway runs `reportgate serve` (or another revision's binary) and
// waits for /readyz.
func (d *driver) startGateway(name, binary string, env []string, upPort, redisPort int, level string) (*proc, string, string, error) {
	listen, err1 := freePort()
	admin, err2 := freePort()
	if err1 != nil || err2 != nil {
		return nil, "", "", fmt.Errorf("free port: %v %v", err1, err2)
	}
	argv := append([]string{binary, "serve"}, serveArgs(listen, admin, upPort, redisPort, level)...)
	d.logf("$ %s%s", envPrefix(env), shellQuote(argv))
	start := time.Now()
	p, err := d.procs.start(name, env, argv...)
	if err != nil {
		return nil, "", "", err
	}
	adminAddr := "127.0.0.1:" + strconv.Itoa(admin)
	took, err := waitReady(p, "http://"+adminAddr+"/readyz", start, 30*time.Second)
	if err != nil {
		return nil, "", "", err
	}
	d.logf("%s ready in %v (pid %d)", name, took.Round(time.Millisecond/10), p.pid())
	return p, "127.0.0.1:" + strconv.Itoa(listen), adminAddr, nil
}

func envPrefix(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return strings.Join(env, " ") + " "
}

// timeStartups starts `reportgate serve` d.startups times and measures
// until /readyz answers 200 (Redis reachable, upstream reachable,
// invalidation subscription live).
func (d *driver) timeStartups(upPort, redisPort int) ([]time.Duration, error) {
	var out []time.Duration
	for i := 0; i < d.startups; i++ {
		listen, err1 := freePort()
		admin, err2 := freePort()
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("free port: %v %v", err1, err2)
		}
		argv := append([]string{d.bin("reportgate"), "serve"}, serveArgs(listen, admin, upPort, redisPort, "warn")...)
		start := time.Now()
		p, err := d.procs.start("startup-"+strconv.Itoa(i+1), nil, argv...)
		if err != nil {
			return nil, err
		}
		took, err := waitReady(p, "http://127.0.0.1:"+strconv.Itoa(admin)+"/readyz", start, 30*time.Second)
		p.stop(10 * time.Second)
		if err != nil {
			return nil, err
		}
		out = append(out, took)
	}
	d.logf("serve → /readyz 200: %s", msString(out))
	return out, nil
}

// startNginx starts nginx as a plain proxy_pass and, given the bench
// certificate's files, as a TLS-ending one on a second address, and with
// -cache as a caching one on a third.
func (d *driver) startNginx(upPort int, tlsFiles []string) (p *proc, addr, tlsAddr, cacheAddr string, err error) {
	port, err := freePort()
	if err != nil {
		return nil, "", "", "", err
	}
	dir, err := filepath.Abs(d.out)
	if err != nil {
		return nil, "", "", "", err
	}
	if err := os.MkdirAll(filepath.Join(dir, "nginx-tmp"), 0o755); err != nil {
		return nil, "", "", "", err
	}
	tlsServer := ""
	if len(tlsFiles) == 2 {
		tlsPort, err := freePort()
		if err != nil {
			return nil, "", "", "", err
		}
		tlsAddr = "127.0.0.1:" + strconv.Itoa(tlsPort)
		tlsServer = nginxTLSServer(tlsAddr, origin.APIUser, tlsFiles[0], tlsFiles[1])
	}
	cacheServer, cacheAddr, err := d.cacheServer(dir, origin.APIUser)
	if err != nil {
		return nil, "", "", "", err
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(dir, port, upPort, tlsServer+cacheServer)), 0o644); err != nil {
		return nil, "", "", "", err
	}
	argv := []string{"nginx", "-c", conf, "-p", dir, "-e", filepath.Join(dir, "nginx-error.log")}
	d.logf("$ %s", shellQuote(argv))
	if p, err = d.procs.start("nginx", nil, argv...); err != nil {
		return nil, "", "", "", err
	}
	addr = "127.0.0.1:" + strconv.Itoa(port)
	if err := waitTCP(p, addr, 10*time.Second); err != nil {
		return nil, "", "", "", err
	}
	for i := 0; i < 100 && len(children(p.pid())) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	return p, addr, tlsAddr, cacheAddr, nil
}

// write saves every sample and the summary.
func (d *driver) write(header []string, rg *rig, samples []sample, stats any, loadedRSS, nginxRSS int64, profile string) error {
	f, err := os.Create(filepath.Join(d.out, "samples.tsv"))
	if err != nil {
		return err
	}
	writeSamples(f, samples)
	f.Close()
	if b, err := json.MarshalIndent(samples, "", " "); err == nil {
		_ = os.WriteFile(filepath.Join(d.out, "samples.json"), b, 0o644)
	}
	if profile != "" {
		_ = os.WriteFile(filepath.Join(d.out, "profile.txt"), []byte(profile), 0o644)
	}
	s, err := os.Create(filepath.Join(d.out, "summary.md"))
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(s, "## Load run %s\n\n", filepath.Base(d.out))
	for _, line := range header {
		fmt.Fprintf(s, "- %s\n", line)
	}
	fmt.Fprintf(s, "- layout: wrk -t1 on CPU %s; origin, proxies and redis-server on CPU %s (taskset)\n", d.wrkCPU, d.rigCPU)
	fmt.Fprintf(s, "- %d rounds × %v per run, warm-up %v, pause %v, order reversed every other round\n",
		d.options.rounds, d.duration, d.warmup, d.pause)
	fmt.Fprintf(s, "- origin counters after the rounds: %+v\n", stats)
	fmt.Fprintf(s, "- `reportgate serve` until /readyz answers 200: %s\n", msString(rg.startups))
	fmt.Fprintf(s, "- RSS: gateway idle %.1f MiB, after the rounds %.1f MiB; nginx (master + worker) after %.1f MiB\n",
		float64(rg.gwIdleRSS)/1024, float64(loadedRSS)/1024, float64(nginxRSS)/1024)
	if rg.manyKeys != "" {
		fmt.Fprintf(s, "- %s\n", rg.manyKeys)
	}
	if len(d.problems) > 0 {
		fmt.Fprintf(s, "- NOT CLEAN: %s\n", strings.Join(d.problems, "; "))
	}
	var names []string
	for _, t := range rg.targets {
		names = append(names, t.name)
	}
	writeSummary(s, samples, names, allRouteNames(), d.conns)
	return nil
}
