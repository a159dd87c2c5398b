package console

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"reportgate/internal/gcra"
	"reportgate/registry"
)

// Cookie names: with TLS the __Host- prefix makes the browser insist on
// Secure, Path=/ and no Domain, so no sibling host can set or shadow it.
const (
	cookiePlain = "reportgate_session"
	cookieTLS   = "__Host-reportgate_session"
)

func (c *Console) cookieName(r *http.Request) string {
	if c.overTLS(r) {
		return cookieTLS
	}
	return cookiePlain
}

func (c *Console) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: c.cookieName(r), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.overTLS(r), SameSite: http.SameSiteStrictMode}
}

// visit is one signed-in request: who, and what their forms need.
type visit struct {
	who       registry.Admin
	sessionID string // never logged, never rendered
	csrf      string
	awaiting  int // requests awaiting this admin's approval, for the menu
}

// pageHandler serves a signed-in page; an error is rendered by explain.
type pageHandler func(w http.ResponseWriter, r *http.Request, v *visit) error

// page wraps a handler with the security headers, the session check (a
// visitor without a live session goes to the sign-in page) and, for posts,
// the CSRF check.
func (c *Console) page(h pageHandler) http.Handler {
	return secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := c.visitOf(r)
		switch {
		case errors.Is(err, registry.ErrNotFound):
			c.toSignIn(w, r, err)
			return
		case err != nil:
			c.fail(w, r, nil, "session", err)
			return
		}
		if r.Method == http.MethodPost && !checkCSRF(r, v.sessionID) {
			c.log.Warn("console: form refused: missing or wrong CSRF token", "admin_id", v.who.ID, "path", r.URL.Path)
			c.renderProblem(w, r, v, problem{Status: http.StatusForbidden, Title: "This form has expired",
				Message: "The form you sent was not issued by this console session (it may come from an older page, " +
					"or from another site). Nothing was changed. Go back, reload the page and try again."})
			return
		}
		if err := h(w, r, v); err != nil {
			c.fail(w, r, v, r.Pattern, err)
		}
	}))
}

// visitOf resolves the request's session; ErrNotFound means "sign in".
func (c *Console) visitOf(r *http.Request) (*visit, error) {
	ck, err := r.Cookie(c.cookieName(r))
	if err != nil || ck.Value == "" {
		return nil, registry.ErrSessionEnded
	}
	s, err := c.reg.Session(r.Context(), ck.Value, c.opts.Sessions)
	if err != nil {
		return nil, err
	}
	v := &visit{who: s.Admin, sessionID: ck.Value, csrf: csrfToken(ck.Value)}
	return v, nil
}

// toSignIn sends a visitor without a session to the sign-in page, saying why
// when they had one.
func (c *Console) toSignIn(w http.ResponseWriter, r *http.Request, _ error) {
	target := "/signin"
	if _, err := r.Cookie(c.cookieName(r)); err == nil {
		http.SetCookie(w, c.sessionCookie(r, "", -1))
		target += "?ended=1"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

type signInData struct {
	Ended, SignedOut bool
	Problem          string
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if v, err := c.visitOf(r); err == nil && v != nil {
		http.Redirect(w, r, "/keys", http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	c.render(w, r, nil, http.StatusOK, "signin", signInData{Ended: q.Has("ended"), SignedOut: q.Has("out")})
}

// signIn exchanges a pasted admin token for a session. The token is used
// once, here, and kept nowhere: not in the cookie, not in Redis, not in a log.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	if wait, ok := c.throttle.take(clientAddr(r), c.opts.Now()); !ok {
		secs := int(wait.Round(time.Second) / time.Second)
		w.Header().Set("Retry-After", itoa(max(secs, 1)))
		c.render(w, r, nil, http.StatusTooManyRequests, "signin", signInData{Problem: "Too many sign-in attempts from your " +
			"address. Wait " + plural(max(secs, 1), "second") + " and try again."})
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	who, err := c.reg.AdminByToken(r.Context(), token)
	if err == nil {
		var id string
		if id, err = c.reg.CreateSession(r.Context(), who, c.opts.Sessions); err == nil {
			c.log.Info("console: signed in", "admin_id", who.ID)
			http.SetCookie(w, c.sessionCookie(r, id, 0))
			http.Redirect(w, r, "/keys", http.StatusSeeOther)
			return
		}
	}
	msg := "This token was not recognised. Paste your personal administrator token exactly as you received it " +
		"(it starts with lra_). An operator can issue a new one with reportgate admin create-admin."
	status := http.StatusUnauthorized
	switch {
	case errors.Is(err, registry.ErrForbidden):
		msg = "This administrator account is disabled. Ask an operator if you need access again."
	case errors.Is(err, registry.ErrUnavailable):
		msg, status = unavailableMessage, http.StatusServiceUnavailable
	}
	c.log.Info("console: sign-in refused", "client", clientAddr(r).String(), "status", status)
	c.render(w, r, nil, status, "signin", signInData{Problem: msg})
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := c.reg.EndSession(r.Context(), v.sessionID); err != nil {
		return err
	}
	c.log.Info("console: signed out", "admin_id", v.who.ID)
	http.SetCookie(w, c.sessionCookie(r, "", -1))
	http.Redirect(w, r, "/signin?out=1", http.StatusSeeOther)
	return nil
}

// clientAddr is the TCP peer: the admin listener sits on loopback or behind
// the operator's own tunnel, and takes no forwarding header.
func clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// throttle limits sign-in attempts per client address in process (IPv6 by
// /64, the block one client usually holds); addresses live in an LRU.
type throttle struct {
	lim gcra.Limit
	mu  sync.Mutex
	tat *simplelru.LRU[netip.Addr, int64]
}

func newThrottle(lim gcra.Limit, size int) (*throttle, error) {
	tat, err := simplelru.NewLRU[netip.Addr, int64](size, nil)
	if err != nil {
		return nil, err
	}
	return &throttle{lim: lim, tat: tat}, nil
}

func (t *throttle) take(a netip.Addr, now time.Time) (time.Duration, bool) {
	if a.Is6() {
		a = netip.PrefixFrom(a, 64).Masked().Addr()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tat, _ := t.tat.Get(a)
	ok, retry := gcra.Allow(&tat, now.UnixNano(), t.lim)
	if ok {
		t.tat.Add(a, tat)
	}
	return retry, ok
}
