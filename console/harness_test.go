package console_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reportgate/config"
	"reportgate/internal/gateway"
	"reportgate/internal/gateway/gatewaytest"
	"reportgate/internal/ledgersim"
	"reportgate/internal/ledgersim/simtest"
	"reportgate/internal/redistest"
	"reportgate/registry"
)

// The browser tests' own small harness: a simulator, a real redis-server, one
// gateway replica with an injectable clock, three admins with their tokens,
// and one headless Chromium in which each admin has a browser context of
// their own (separate cookies, like separate people).

// clock is the gateway's clock: real time plus an offset a test may advance.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

type harness struct {
	t       *testing.T
	sim     *ledgersim.Server
	gw      *gateway.Gateway
	reg     *registry.Registry
	clock   *clock
	tokens  map[string]string
	admins  map[string]registry.Admin
	browser context.Context
	shots   string // where screenshots go; "" when not asked for
	logs    *logBuffer
}

type logBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.String()
}

// waitTimeout bounds every wait of the browser tests: generous, for a loaded
// 2-core machine.
const waitTimeout = 30 * time.Second

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, sim: simtest.Start(t, ledgersim.DefaultConfig()), clock: &clock{},
		tokens: map[string]string{}, admins: map[string]registry.Admin{}, logs: &logBuffer{}}
	rs := redistest.Start(t)
	cfg := config.Default()
	cfg.Listen, cfg.AdminListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.UpstreamURL, cfg.UpstreamAPIUser = h.sim.URL(), ledgersim.DefaultAPIUser
	cfg.RedisURL, cfg.Workspace = rs.URL(), "acme"
	cfg.RateLimit, cfg.RateLimitBurst = "10000/s", 10000
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := gatewaytest.Start(t, cfg, gateway.Options{Now: h.clock.Now, Logger: slog.New(slog.NewJSONHandler(h.logs, nil))})
	h.gw, h.reg = g, g.Registry()
	h.waitReady()
	for _, name := range []string{"alice", "bob", "carol"} {
		a, token, err := h.reg.CreateAdmin(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		h.tokens[name], h.admins[name] = token, a
	}
	if os.Getenv("REPORTGATE_SCREENSHOTS") == "1" {
		h.shots = filepath.Join("..", "docs", "console")
		if err := os.MkdirAll(h.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.browser = startChromium(t)
	return h
}

func (h *harness) waitReady() {
	h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(h.url("/readyz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatal("gateway not ready")
}

func (h *harness) url(path string) string { return "http://" + h.gw.AdminAddr() + path }

// startChromium starts one headless Chromium for the test. The flags keep
// it from reaching for the network (closed here: without them it hangs on
// refused connections).
func startChromium(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: run `make test`, which installs it (Debian package chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 860),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// The first run starts the browser, whose life is that of the context
	// the run is given: give it browser itself, and bound the wait apart.
	firstRun(t, browser, "start chromium")
	return browser
}

// firstRun makes the first run on ctx (which allocates its browser or tab
// for ctx's whole life) within waitTimeout.
func firstRun(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx, chromedp.EmulateViewport(1280, 860)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(2 * waitTimeout):
		t.Fatalf("%s: no answer within %v", what, 2*waitTimeout)
	}
}

// tab is one admin's browser: a browser context of its own (cookies apart).
type tab struct {
	h    *harness
	name string
	ctx  context.Context
}

func (h *harness) tab(name string) *tab {
	ctx, cancel := chromedp.NewContext(h.browser, chromedp.WithNewBrowserContext())
	h.t.Cleanup(cancel)
	firstRun(h.t, ctx, name+"'s browser context")
	return &tab{h: h, name: name, ctx: ctx}
}

// do runs actions within waitTimeout and fails the test on error.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.h.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.h.t.Fatalf("%s's browser: %v (page: %s)", tb.name, err, tb.page())
	}
}

func run[T any](tb *tab, a chromedp.Action[T]) T {
	tb.h.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.h.t.Fatalf("%s's browser: %v (page: %s)", tb.name, err, tb.page())
	}
	return v
}

// page is the current page's name (body data-page) and address, for errors.
func (tb *tab) page() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.body && document.body.dataset.page || "?") + " at " + location.pathname`))
	return s
}

// open navigates to path and waits for the page named want.
func (tb *tab) open(path, want string) {
	tb.h.t.Helper()
	tb.do(chromedp.Navigate(tb.h.url(path)))
	tb.waitPage(want)
}

// submit clicks sel (a button or a link) and waits until a new document
// named want has loaded: the old one is marked first, so a page that leads
// to a page of the same name is not mistaken for it.
func (tb *tab) submit(sel string, want string) {
	tb.h.t.Helper()
	tb.do(chromedp.Evaluate[chromedp.Void](`window.__stale = true`), chromedp.Click(chromedp.CSS(sel)))
	tb.waitPage(want)
}

func (tb *tab) waitPage(want string) {
	tb.h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`(!window.__stale && document.readyState === "complete" && document.body) ? (document.body.dataset.page || "") : ""`))
		cancel()
		if err == nil && got == want {
			return
		}
		if err == nil && got != "" {
			tb.h.t.Fatalf("%s's browser: landed on page %q, want %q (%s): %s", tb.name, got, want, tb.page(), tb.text("main"))
		}
		if time.Now().After(deadline) {
			tb.h.t.Fatalf("%s's browser: page %q did not load within %v (%v; now %s)", tb.name, want, waitTimeout, err, tb.page())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// text is the visible text of the first element matching sel.
func (tb *tab) text(sel string) string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(function(){ var e = document.querySelector(%q); return e ? e.innerText : "" })()`, sel)))
	if err != nil {
		return ""
	}
	return s
}

// wantText fails unless the page's main text holds every one of subs.
func (tb *tab) wantText(subs ...string) {
	tb.h.t.Helper()
	body := tb.text("body")
	for _, s := range subs {
		if !strings.Contains(body, s) {
			tb.h.t.Fatalf("%s's browser, page %s: no %q in:\n%s", tb.name, tb.page(), s, body)
		}
	}
}

func (tb *tab) noText(subs ...string) {
	tb.h.t.Helper()
	body := tb.text("body")
	for _, s := range subs {
		if strings.Contains(body, s) {
			tb.h.t.Fatalf("%s's browser, page %s: %q should not be there:\n%s", tb.name, tb.page(), s, body)
		}
	}
}

func (tb *tab) exists(sel string) bool {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
	return ok
}

// shot saves a full-page PNG of the current page as docs/console/<name>.png
// when REPORTGATE_SCREENSHOTS=1.
func (tb *tab) shot(name string) {
	tb.h.t.Helper()
	if tb.h.shots == "" {
		return
	}
	png := run(tb, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(tb.h.shots, name+".png"), png, 0o644); err != nil {
		tb.h.t.Fatal(err)
	}
}

// signIn pastes the admin's token on the sign-in page.
func (tb *tab) signIn() {
	tb.h.t.Helper()
	tb.open("/signin", "signin")
	tb.do(chromedp.SendKeys(chromedp.ID("token"), tb.h.tokens[tb.name]))
	tb.submit(`form[action="/signin"] button[type=submit]`, "keys")
}

// partner sends a partner request through the gateway with secret.
func (h *harness) partner(secret, path string) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+h.gw.ProxyAddr()+path, nil)
	req.Header.Set("X-Ledger-Reporting-API-Key", secret)
	req.Header.Set("X-Ledger-Workspace", "acme")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// eventually retries f until it is nil or waitTimeout passes.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var errNotYet = errors.New("not yet")
