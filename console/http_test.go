package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/console"
	"reportgate/internal/gcra"
	"reportgate/internal/ledgersim"
	"reportgate/internal/ledgersim/simtest"
	"reportgate/internal/redistest"
	"reportgate/policy"
	"reportgate/registry"
)

// simUpstream reads the simulator with the operator's credentials, as the
// gateway's upstream client does.
type simUpstream struct{ base string }

func (u simUpstream) Fetch(ctx context.Context, pathAndQuery string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.base+pathAndQuery, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-Ledger-API-User", ledgersim.DefaultAPIUser)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

var _ console.Upstream = simUpstream{}

// server is a console alone behind an httptest server (TLS or not), for the
// HTTP-level checks that need no browser.
type server struct {
	srv       *httptest.Server
	reg       *registry.Registry
	token     string
	redisAddr string
}

func newServer(t *testing.T, tls bool) *server {
	t.Helper()
	return newServerWith(t, tls, nil)
}

// newServerWith is newServer with the console's options edited by edit.
func newServerWith(t *testing.T, tls bool, edit func(*console.Options)) *server {
	t.Helper()
	rs := redistest.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	t.Cleanup(func() { rc.Close() })
	reg, err := registry.New(rc, "acme", registry.Options{Quorum: 1})
	if err != nil {
		t.Fatal(err)
	}
	up := simUpstream{simtest.Start(t, ledgersim.DefaultConfig()).URL()}
	res, err := policy.NewResolver(up, policy.Table(), policy.ResolverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	opts := console.Options{Registry: reg, Upstream: up, Scopes: res, SignIn: gcra.Limit{Interval: time.Hour, Burst: 3}}
	if edit != nil {
		edit(&opts)
	}
	c, err := console.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	c.Register(mux)
	s := &server{reg: reg, redisAddr: rs.Addr()}
	if tls {
		s.srv = httptest.NewTLSServer(mux)
	} else {
		s.srv = httptest.NewServer(mux)
	}
	t.Cleanup(s.srv.Close)
	for _, name := range []string{"alice", "bob"} {
		_, token, err := reg.CreateAdmin(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if s.token == "" {
			s.token = token
		}
	}
	return s
}

// client is a browser-like client: cookies kept, redirects not followed.
func (s *server) client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := s.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func (s *server) post(t *testing.T, c *http.Client, path string, form url.Values, header http.Header) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, cookie string
		tls          bool
	}{
		{"plain http", "reportgate_session", false},
		{"over TLS", "__Host-reportgate_session", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tc.tls)
			resp := s.post(t, s.client(t), "/signin", url.Values{"token": {s.token}}, nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/keys" {
				t.Fatalf("sign-in: %d to %q, want 303 to /keys", resp.StatusCode, resp.Header.Get("Location"))
			}
			cookies := resp.Cookies()
			if len(cookies) != 1 {
				t.Fatalf("sign-in set %d cookies, want 1", len(cookies))
			}
			ck := cookies[0]
			if ck.Name != tc.cookie || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure != tc.tls || ck.Path != "/" || ck.Domain != "" {
				t.Fatalf("cookie %+v: want %s, HttpOnly, SameSite=Strict, Secure=%v, Path=/, no Domain", ck, tc.cookie, tc.tls)
			}
			if strings.Contains(ck.Value, s.token) || !strings.HasPrefix(ck.Value, registry.SessionIDPrefix) {
				t.Fatal("the cookie holds the token, or no session id")
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := newServer(t, false)
	for _, path := range []string{"/signin", "/keys", "/no/such/page"} {
		resp, err := s.client(t).Get(s.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP allows inline code: %q", path, csp)
		}
		for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", path, name, got, want)
			}
		}
	}
}

func TestSignInThrottledPerAddress(t *testing.T) {
	t.Parallel()
	s := newServer(t, false)
	c := s.client(t)
	bad := url.Values{"token": {"lra_not-a-token"}}
	for i := range 3 {
		if resp := s.post(t, c, "/signin", bad, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	// The budget is spent: even the right token waits.
	resp := s.post(t, c, "/signin", url.Values{"token": {s.token}}, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("4th attempt: %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if len(resp.Cookies()) != 0 {
		t.Fatal("a throttled sign-in set a cookie")
	}
}

func TestCrossSitePostsRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t, false)
	for name, h := range map[string]http.Header{
		"foreign Origin":        {"Origin": {"https://evil.example"}},
		"cross-site fetch":      {"Sec-Fetch-Site": {"cross-site"}},
		"same-site but another": {"Sec-Fetch-Site": {"same-site"}},
	} {
		resp := s.post(t, s.client(t), "/signin", url.Values{"token": {s.token}}, h)
		if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
			t.Errorf("%s: %d with %d cookies, want 403 and none", name, resp.StatusCode, len(resp.Cookies()))
		}
	}
}

// TestPostWithoutSessionSignsIn: a state-changing post without a session
// goes to the sign-in page and changes nothing.
func TestPostWithoutSessionSignsIn(t *testing.T) {
	t.Parallel()
	s := newServer(t, false)
	resp := s.post(t, s.client(t), "/keys", url.Values{"name": {"x"}, "entity": {"1"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Fatalf("post without a session: %d to %q, want 303 to /signin", resp.StatusCode, resp.Header.Get("Location"))
	}
	if page, _ := s.reg.ListKeys(context.Background(), "", 0); len(page.Items) != 0 {
		t.Fatal("a post without a session filed a key")
	}
}
