package console_test

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"reportgate/config"
	"reportgate/console"
	"reportgate/internal/gateway"
	"reportgate/internal/gateway/gatewaytest"
	"reportgate/internal/ledgersim"
	"reportgate/internal/ledgersim/simtest"
	"reportgate/internal/redistest"
	"reportgate/internal/testkit"
	"reportgate/registry"
)

// tlsConsole is a gateway whose admin listener serves TLS with a
// certificate of a CA made for the test, and whose partner listener asks
// for client certificates of that CA.
type tlsConsole struct {
	t      *testing.T
	gw     *gateway.Gateway
	reg    *registry.Registry
	ca     *testkit.CA
	tokens []string
}

func startTLSConsole(t *testing.T) *tlsConsole {
	t.Helper()
	ca := testkit.NewCA(t, "console CA")
	dir := t.TempDir()
	cert, key := ca.Issue(t, testkit.LeafOptions{}).Write(t, dir, "server")
	caFile, _ := testkit.Leaf{CertPEM: ca.PEM}.Write(t, dir, "ca")
	cfg := config.Default()
	cfg.Listen, cfg.AdminListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.UpstreamURL, cfg.UpstreamAPIUser = simtest.Start(t, ledgersim.DefaultConfig()).URL(), ledgersim.DefaultAPIUser
	cfg.RedisURL, cfg.Workspace = redistest.Start(t).URL(), "acme"
	cfg.AdminTLSCert, cfg.AdminTLSKey = cert, key
	cfg.TLSCert, cfg.TLSKey, cfg.ClientCA = cert, key, caFile
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := gatewaytest.Start(t, cfg, gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	s := &tlsConsole{t: t, gw: g, reg: g.Registry(), ca: ca}
	testkit.WaitFor(t, waitTimeout, "the gateway is not ready over TLS", func() bool {
		resp, err := s.browser().Get(s.url("/readyz"))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	for _, name := range []string{"alice", "bob", "carol"} {
		_, token, err := s.reg.CreateAdmin(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens = append(s.tokens, token)
	}
	return s
}

func (s *tlsConsole) url(path string) string { return "https://" + s.gw.AdminAddr() + path }

// browser is a client trusting the test's CA that keeps cookies and does
// not follow redirects.
func (s *tlsConsole) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.ca.Pool()}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn signs admin i in on c and returns the session cookie set.
func (s *tlsConsole) signIn(c *http.Client, i int) *http.Cookie {
	s.t.Helper()
	resp, err := c.PostForm(s.url("/signin"), url.Values{"token": {s.tokens[i]}})
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		s.t.Fatalf("sign-in: %d with %d cookies", resp.StatusCode, len(resp.Cookies()))
	}
	return resp.Cookies()[0]
}

// page GETs path and returns the status and the body.
func (s *tlsConsole) page(c *http.Client, path string) (int, string) {
	s.t.Helper()
	resp, err := c.Get(s.url(path))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestConsoleOverAdminTLS: over the admin listener's own TLS, the session
// cookie is Secure and __Host- prefixed, and it works.
func TestConsoleOverAdminTLS(t *testing.T) {
	t.Parallel()
	s := startTLSConsole(t)
	c := s.browser()
	ck := s.signIn(c, 0)
	if ck.Name != "__Host-reportgate_session" || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" ||
		ck.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie %+v: want __Host-reportgate_session, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain", ck)
	}
	if status, body := s.page(c, "/keys"); status != http.StatusOK || !strings.Contains(body, "Reporting API keys") {
		t.Fatalf("GET /keys with the session: %d", status)
	}
}

// TestConsoleBindsAKeyToAClientCertificate: the create form takes a
// fingerprint, the review, the request and the key's page show it, and
// the edit form offers to remove the binding, shown as a change.
func TestConsoleBindsAKeyToAClientCertificate(t *testing.T) {
	t.Parallel()
	s := startTLSConsole(t)
	c := s.browser()
	s.signIn(c, 0)
	partner := s.ca.Issue(t, testkit.LeafOptions{Client: true, CommonName: "auditor"})
	fp := hex.EncodeToString(partner.Fingerprint[:])
	form := url.Values{"name": {"Bound auditor"}, "entity": {"1"}, "cert_sha256": {fp}}

	status, review := s.page(c, "/keys/new/review?"+form.Encode())
	if status != http.StatusOK || !strings.Contains(review, "data-review-cert>SHA-256 "+fp) {
		t.Fatalf("review: %d, the fingerprint not shown:\n%s", status, review)
	}
	m := csrfField.FindStringSubmatch(review)
	if m == nil {
		t.Fatal("no CSRF token on the review page")
	}
	form.Set("csrf", m[1])
	resp, err := c.PostForm(s.url("/keys"), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/keys/key_") {
		t.Fatalf("filing: %d to %q", resp.StatusCode, loc)
	}
	keyID := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/keys/")
	k, err := s.reg.Key(context.Background(), keyID)
	if err != nil || k.ClientCert.String() != fp {
		t.Fatalf("filed key bound to %q (%v), want %s", k.ClientCert.String(), err, fp)
	}
	if _, body := s.page(c, "/requests/"+k.PendingRequest); !strings.Contains(body, "SHA-256 "+fp) {
		t.Errorf("the request page does not show the fingerprint")
	}
	if _, body := s.page(c, "/keys/"+keyID); !strings.Contains(body, "data-key-cert>SHA-256 "+fp) {
		t.Errorf("the key page does not show the binding")
	}
	for _, i := range []int{1, 2} {
		if _, _, err := s.reg.Approve(context.Background(), s.gwAdmin(i), k.PendingRequest); err != nil {
			t.Fatal(err)
		}
	}
	if _, body := s.page(c, "/keys/"+keyID+"/edit"); !strings.Contains(body, `name="cert" value="none"`) {
		t.Fatal("the edit form of a bound key offers no way to remove the binding")
	}
	edit := url.Values{"name": {"Bound auditor"}, "entity": {"1"}, "cert": {"none"}}
	status, body := s.page(c, "/keys/"+keyID+"/edit/review?"+edit.Encode())
	if status != http.StatusOK || !strings.Contains(body, "SHA-256 "+fp) || !strings.Contains(body, "None: any connection") {
		t.Fatalf("edit review: %d, want the binding's removal as a change:\n%s", status, body)
	}
}

func (s *tlsConsole) gwAdmin(i int) string {
	s.t.Helper()
	a, err := s.reg.AdminByToken(context.Background(), s.tokens[i])
	if err != nil {
		s.t.Fatal(err)
	}
	return a.ID
}

// TestCookieBehindATLSProxy: behind a TLS-terminating proxy among
// --trusted-proxies, X-Forwarded-Proto: https makes the cookie Secure and
// __Host- prefixed; the same header from anyone else, or given twice,
// does not.
func TestCookieBehindATLSProxy(t *testing.T) {
	t.Parallel()
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		name    string
		proxies []netip.Prefix
		proto   []string
		secure  bool
	}{
		{"trusted proxy, https", loopback, []string{"https"}, true},
		{"trusted proxy, http", loopback, []string{"http"}, false},
		{"trusted proxy, twice", loopback, []string{"https", "https"}, false},
		{"trusted proxy, a list", loopback, []string{"https, http"}, false},
		{"untrusted peer", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, []string{"https"}, false},
		{"no trusted proxy", nil, []string{"https"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServerWith(t, false, func(o *console.Options) { o.TLSProxies = tc.proxies })
			resp := s.post(t, s.client(t), "/signin", url.Values{"token": {s.token}}, http.Header{"X-Forwarded-Proto": tc.proto})
			cookies := resp.Cookies()
			if len(cookies) != 1 {
				t.Fatalf("sign-in: %d with %d cookies", resp.StatusCode, len(cookies))
			}
			want := "reportgate_session"
			if tc.secure {
				want = "__Host-reportgate_session"
			}
			if ck := cookies[0]; ck.Name != want || ck.Secure != tc.secure {
				t.Fatalf("cookie %s Secure=%v, want %s Secure=%v", ck.Name, ck.Secure, want, tc.secure)
			}
		})
	}
}

// TestBindingRefusedWithoutClientCA: a console whose gateway does not ask
// for client certificates refuses a binding at review, saying why.
func TestBindingRefusedWithoutClientCA(t *testing.T) {
	t.Parallel()
	s := newServer(t, false)
	c := s.client(t)
	s.post(t, c, "/signin", url.Values{"token": {s.token}}, nil)
	fp := strings.Repeat("ab", 32)
	resp, err := c.Get(s.srv.URL + "/keys/new/review?" + url.Values{"name": {"n"}, "entity": {"1"}, "cert_sha256": {fp}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "--client-ca is not set") {
		t.Fatalf("review with a certificate and no --client-ca: %d\n%s", resp.StatusCode, b)
	}
}
