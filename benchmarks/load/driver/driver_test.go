package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

const wrkReport = `Running 10s test @ http://127.0.0.1:8080/accounts
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   520.12us  100.00us   5.00ms   90.00%
    Req/Sec    60.00k     2.00k   65.00k    80.00%
  Latency Distribution
     50%  498.00us
     75%  550.00us
     90%  600.00us
     99%    1.20ms
  600123 requests in 10.00s, 700.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:  60012.30
Transfer/sec:     70.00MB
`

func TestParseWrk(t *testing.T) {
	t.Parallel()
	r, err := parseWrk(wrkReport)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{Requests: 600123, Seconds: 10, RPS: 60012.3, P50: 498 * time.Microsecond, P99: 1200 * time.Microsecond, Non2xx: 5, SocketErrors: 3}
	if r != want {
		t.Errorf("parseWrk = %+v, want %+v", r, want)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Error("a report without results parsed")
	}
}

func TestParseWrkDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"512.00us": 512 * time.Microsecond, "1.25ms": 1250 * time.Microsecond, "10.00s": 10 * time.Second, "2.00m": 2 * time.Minute,
	} {
		if got, err := parseWrkDuration(in); err != nil || got != want {
			t.Errorf("parseWrkDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseWrkDuration("12"); err == nil {
		t.Error("a duration without unit parsed")
	}
}

func TestParseStatTicks(t *testing.T) {
	t.Parallel()
	// The command name may hold spaces and parentheses.
	stat := "4242 (weird) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 8 0 100 0 0\n"
	got, err := parseStatTicks([]byte(stat))
	if err != nil || got != 1234+567 {
		t.Errorf("parseStatTicks = %d, %v; want %d", got, err, 1234+567)
	}
}

func TestParseMachineTicks(t *testing.T) {
	t.Parallel()
	got, err := parseMachineTicks("cpu  100 1 20 1000 5 2 3 7 0 0")
	want := machineTicks{busy: 100 + 1 + 20 + 2 + 3, steal: 7, total: 126 + 1000 + 5 + 7}
	if err != nil || got != want {
		t.Errorf("parseMachineTicks = %+v, %v; want %+v", got, err, want)
	}
}

func TestSummaryStatistics(t *testing.T) {
	t.Parallel()
	if s := summarize([]float64{3, 1, 2}); s != (stat{med: 2, min: 1, max: 3}) {
		t.Errorf("odd: %+v", s)
	}
	if s := summarize([]float64{4, 1, 3, 2}); s != (stat{med: 2.5, min: 1, max: 4}) {
		t.Errorf("even: %+v", s)
	}
	ix := newIndex([]sample{
		{Round: 1, Target: "gw", Route: "list", Conns: 32, RPS: 90},
		{Round: 1, Target: "nginx", Route: "list", Conns: 32, RPS: 100},
		{Round: 2, Target: "gw", Route: "list", Conns: 32, RPS: 80},
		{Round: 2, Target: "nginx", Route: "list", Conns: 32, RPS: 100},
		{Round: 3, Target: "gw", Route: "list", Conns: 32, RPS: 70}, // nginx missing: no ratio
	})
	got := summarize(ix.ratio(key{"gw", "list", 32}, key{"nginx", "list", 32}, func(s sample) float64 { return s.RPS }))
	if math.Abs(got.med-0.85) > 1e-9 || got.min != 0.8 || got.max != 0.9 {
		t.Errorf("ratio = %+v, want rounds 1 and 2 only", got)
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	got := shellQuote([]string{"wrk", "-H", "X-Ledger-Workspace: acme", "it's"})
	want := `wrk -H 'X-Ledger-Workspace: acme' 'it'\''s'`
	if got != want {
		t.Errorf("shellQuote = %s, want %s", got, want)
	}
}

func TestReadCounters(t *testing.T) {
	t.Parallel()
	c, err := readCounters(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if c.syscalls <= 0 || c.switches <= 0 {
		t.Errorf("readCounters(self) = %+v, want some system calls and context switches", c)
	}
}

func TestTLSRoutesAndPeers(t *testing.T) {
	t.Parallel()
	list := route{name: "list", path: "/accounts", headers: []string{"X-Ledger-Workspace: acme"}, status: 200}
	rs := tlsRoutes(list)
	if len(rs) != 2 || rs[0].name != "list-tls" || rs[1].name != "list-tls-handshake" || !rs[0].tls || !rs[1].tls {
		t.Fatalf("tlsRoutes = %+v", rs)
	}
	if len(rs[0].headers) != 1 || rs[1].headers[len(rs[1].headers)-1] != "Connection: close" || len(list.headers) != 1 {
		t.Fatalf("headers: reused %v, handshake %v, list %v", rs[0].headers, rs[1].headers, list.headers)
	}
	if rs[0].scheme() != "https" || list.scheme() != "http" {
		t.Error("scheme")
	}
	for target, want := range map[string]string{"gw": "nginx", "gw-tls": "nginx-tls", "gw-accesslog": "nginx"} {
		if got := nginxPeer(target); got != want {
			t.Errorf("nginxPeer(%q) = %q, want %q", target, got, want)
		}
	}
	conf := nginxConf("/tmp/x", 1, 2, nginxTLSServer("127.0.0.1:3", "op", "/c.crt", "/c.key"))
	for _, want := range []string{"listen 127.0.0.1:3 ssl;", "ssl_certificate /c.crt;", "ssl_protocols TLSv1.2 TLSv1.3;", "listen 127.0.0.1:1;"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx.conf lacks %q:\n%s", want, conf)
		}
	}
	kept := keepTargets([]target{{name: "gw"}, {name: "gw-tls"}, {name: "nginx-tls"}}, "gw-tls, nginx-tls")
	if len(kept) != 2 || kept[0].name != "gw-tls" {
		t.Errorf("keepTargets = %+v", kept)
	}
}

func TestDistinctRoute(t *testing.T) {
	t.Parallel()
	rs := withDistinct([]route{{name: "list", path: "/accounts"}, {name: "owner"}})
	if len(rs) != 3 || rs[0].name != "list" || rs[0].distinct || rs[1].name != "list-distinct" || !rs[1].distinct ||
		rs[1].path != "/accounts" || rs[2].name != "owner" {
		t.Fatalf("withDistinct = %+v", rs)
	}
	if got := profiledRoute(rs); got.name != "list-distinct" {
		t.Errorf("profiledRoute = %s, want list-distinct", got.name)
	}
	if got := profiledRoute(rs[:1]); got.name != "list" {
		t.Errorf("profiledRoute without a distinct route = %s, want list", got.name)
	}
	argv := strings.Join(wrkArgs("0", 8, time.Second, "http://x/accounts", nil, "d.lua"), " ")
	if !strings.Contains(argv, " -s d.lua ") {
		t.Errorf("wrkArgs with a script = %s", argv)
	}
	if argv := strings.Join(wrkArgs("0", 8, time.Second, "http://x/accounts", nil, ""), " "); strings.Contains(argv, " -s ") {
		t.Errorf("wrkArgs without a script = %s", argv)
	}
}
