package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// sample is one wrk run of one target and route at one concurrency.
type sample struct {
	Round    int     `json:"round"`
	Target   string  `json:"target"`
	Route    string  `json:"route"`
	Conns    int     `json:"conns"`
	Requests int64   `json:"requests"`
	RPS      float64 `json:"rps"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	// ProxyCPU and OriginCPU are µs of CPU (user+system) per request.
	ProxyCPU  float64 `json:"proxy_cpu_us"`
	OriginCPU float64 `json:"origin_cpu_us"`
	// ProxySyscalls are the proxy's read and write system calls per
	// request; ProxySwitches its context switches per request.
	ProxySyscalls float64 `json:"proxy_syscalls"`
	ProxySwitches float64 `json:"proxy_switches"`
	// UpstreamPerReq is the origin's requests per request served: 1 for
	// nginx and direct, less where the gateway coalesced or cached.
	UpstreamPerReq float64 `json:"upstream_per_req"`
	Non2xx         int64   `json:"non2xx"`
	Errors         int64   `json:"socket_errors"`
	// Foreign is the share of the machine's CPU other processes used
	// during the run; Steal the share the hypervisor took.
	Foreign  float64 `json:"foreign"`
	Steal    float64 `json:"steal"`
	Attempts int     `json:"attempts"`
}

// stat is a median with its range over rounds.
type stat struct{ med, min, max float64 }

func summarize(v []float64) stat {
	if len(v) == 0 {
		return stat{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{med: m, min: s[0], max: s[len(s)-1]}
}

func (s stat) format(digits int, unit string) string {
	f := "%." + fmt.Sprint(digits) + "f"
	return fmt.Sprintf(f+"%s (%s–%s)", s.med, unit, fmt.Sprintf(f, s.min), fmt.Sprintf(f, s.max))
}

type key struct {
	target, route string
	conns         int
}

// index groups samples by target, route and concurrency, and by round.
type index map[key]map[int]sample

func newIndex(samples []sample) index {
	ix := index{}
	for _, s := range samples {
		k := key{s.Target, s.Route, s.Conns}
		if ix[k] == nil {
			ix[k] = map[int]sample{}
		}
		ix[k][s.Round] = s
	}
	return ix
}

func (ix index) values(k key, f func(sample) float64) []float64 {
	var out []float64
	for _, s := range ix[k] {
		out = append(out, f(s))
	}
	return out
}

// ratio is the per-round ratio of k's f to base's f, over the rounds both
// ran.
func (ix index) ratio(k, base key, f func(sample) float64) []float64 {
	var out []float64
	for round, s := range ix[k] {
		b, ok := ix[base][round]
		if ok && f(b) > 0 {
			out = append(out, f(s)/f(b))
		}
	}
	return out
}

// writeSummary renders the tables of RESULTS.md from the samples: per
// route and concurrency, every target's throughput, its ratio to nginx and
// to the direct origin in the same round, latency, and CPU per request.
func writeSummary(w io.Writer, samples []sample, targets []string, routes []string, conns []int) {
	ix := newIndex(samples)
	rps := func(s sample) float64 { return s.RPS }
	cpu := func(s sample) float64 { return s.ProxyCPU }
	for _, c := range conns {
		fmt.Fprintf(w, "\n#### %d connections\n\n", c)
		fmt.Fprintln(w, "| target | route | req/s median (min–max) | ÷ nginx | ÷ direct | p50 µs | p99 µs | proxy CPU µs/req | ÷ nginx CPU | proxy r+w syscalls/req | proxy switches/req | origin CPU µs/req | origin requests/req | foreign CPU |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, r := range routes {
			for _, t := range targets {
				k := key{t, r, c}
				if len(ix[k]) == 0 {
					continue
				}
				ng, dir := key{nginxPeer(t), r, c}, key{"direct", r, c}
				vsNginx, vsDirect, cpuVsNginx := "—", "—", "—"
				if !strings.HasPrefix(t, "nginx") && len(ix[ng]) > 0 {
					vsNginx = summarize(ix.ratio(k, ng, rps)).format(2, "")
					if t != "direct" {
						cpuVsNginx = summarize(ix.ratio(k, ng, cpu)).format(2, "")
					}
				}
				if t != "direct" && len(ix[dir]) > 0 {
					vsDirect = summarize(ix.ratio(k, dir, rps)).format(2, "")
				}
				proxyCPU := "—"
				if t != "direct" {
					proxyCPU = summarize(ix.values(k, cpu)).format(1, "")
				}
				sys, sw := "—", "—"
				if t != "direct" {
					sys = fmt.Sprintf("%.2f", summarize(ix.values(k, func(s sample) float64 { return s.ProxySyscalls })).med)
					sw = fmt.Sprintf("%.2f", summarize(ix.values(k, func(s sample) float64 { return s.ProxySwitches })).med)
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.0f | %.0f | %s | %s | %s | %s | %.1f | %.2f | %.1f%% |\n", t, r,
					summarize(ix.values(k, rps)).format(0, ""), vsNginx, vsDirect,
					summarize(ix.values(k, func(s sample) float64 { return s.P50us })).med,
					summarize(ix.values(k, func(s sample) float64 { return s.P99us })).med,
					proxyCPU, cpuVsNginx, sys, sw,
					summarize(ix.values(k, func(s sample) float64 { return s.OriginCPU })).med,
					summarize(ix.values(k, func(s sample) float64 { return s.UpstreamPerReq })).med,
					100*summarize(ix.values(k, func(s sample) float64 { return s.Foreign })).med)
			}
		}
	}
}

// writeSamples is every run, for the record.
func writeSamples(w io.Writer, samples []sample) {
	fmt.Fprintln(w, "round\ttarget\troute\tconns\trequests\trps\tp50_us\tp99_us\tproxy_cpu_us\tproxy_syscalls\tproxy_switches\torigin_cpu_us\tupstream_per_req\tnon2xx\tsocket_errors\tforeign\tsteal\tattempts")
	for _, s := range samples {
		fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\t%d\t%d\t%.3f\t%.3f\t%d\n", s.Round, s.Target, s.Route, s.Conns,
			s.Requests, s.RPS, s.P50us, s.P99us, s.ProxyCPU, s.ProxySyscalls, s.ProxySwitches, s.OriginCPU, s.UpstreamPerReq, s.Non2xx, s.Errors, s.Foreign, s.Steal, s.Attempts)
	}
}

func msString(d []time.Duration) string {
	v := make([]float64, len(d))
	for i, x := range d {
		v[i] = float64(x.Microseconds()) / 1000
	}
	s := summarize(v)
	parts := make([]string, len(d))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("median %.1f ms (%.1f–%.1f; runs: %s)", s.med, s.min, s.max, strings.Join(parts, ", "))
}
