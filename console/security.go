package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
)

// contentSecurityPolicy: everything from this origin only, no inline script
// or style (the pages have none), no framing (clickjacking), forms post only
// here, and no <base> or plugin tricks.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// maxFormBytes bounds a form post; the largest, a key with 1000 entities,
// is about 12 KiB.
const maxFormBytes = 64 << 10

// secure sets the security headers every console answer carries and refuses
// cross-site posts before any handler runs.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		// Pages hold the workflow's state, and one of them a secret: never
		// cache (static assets override this).
		hd.Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost {
			if !sameOrigin(r) {
				http.Error(w, "console: cross-site form posts are refused", http.StatusForbidden)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		h.ServeHTTP(w, r)
	})
}

// sameOrigin refuses a post a browser says came from another site: by
// Sec-Fetch-Site when the browser sends it, else by Origin. Neither header
// (an old browser, a script) is allowed through: the CSRF token decides.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" && r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// csrfToken is the token of a session's forms: an HMAC of the session id,
// which only the browser's cookie holds, so it needs no storage, differs per
// session, and reveals nothing of the id.
func csrfToken(sessionID string) string {
	m := hmac.New(sha256.New, []byte(sessionID))
	m.Write([]byte("reportgate console csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF compares a form's token with the session's in constant time.
func checkCSRF(r *http.Request, sessionID string) bool {
	got := r.PostFormValue("csrf")
	want := csrfToken(sessionID)
	return len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
