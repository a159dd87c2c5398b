// Package console is the admin console: the whole reporting-key workflow of
// docs/design.md §5 in a browser, for workspace administrators who have never seen
// a shell. It follows Ledger's own help page and its words: "Create
// Reporting API Key", requests awaiting your approval, "Reveal", a secret
// that "can only be shown and copied once".
//
// It is served by the admin listener at / and below (the JSON API keeps
// /v1/), server-rendered with html/template from templates and one style
// sheet embedded in the binary, and fully usable without JavaScript: the one
// small script only adds copy-to-clipboard and filters the entity list as
// one types. No build step, no CDN, no asset from anywhere else.
//
// It owns no rule of the workflow: every page calls the same registry
// operations as the JSON API and the CLI (and admin.NewEdit, admin.KeyViews
// where the API has logic of its own), so each rule lives in one place. What
// it owns is presentation and the browser's security:
//
//   - Sessions: an admin pastes their personal token once; it is exchanged for
//     a session kept in Redis (registry.CreateSession: only the SHA-256 of its
//     id is stored) and never kept by the browser. The cookie is HttpOnly,
//     SameSite=Strict, and Secure with the __Host- prefix when the request came
//     over TLS: the admin listener's own, or a trusted TLS-terminating proxy's
//     (X-Forwarded-Proto: https from --trusted-proxies). Sessions end when idle, at an absolute age, at sign-out, and at
//     once when their admin is disabled (checked on every request). Sign-in
//     attempts are throttled per client address.
//   - Every state-changing form carries a CSRF token tied to the session (an
//     HMAC of its id, compared in constant time), and cross-site POSTs are
//     refused by their Origin and Sec-Fetch-Site headers before that.
//   - Every page sends a Content-Security-Policy with default-src 'self', no
//     inline script or style, form-action 'self' and frame-ancestors 'none';
//     nosniff; Referrer-Policy no-referrer; Cache-Control no-store.
//   - Every string from an admin or the upstream is escaped by html/template.
//   - A revealed secret is rendered once, in the answer to the POST that
//     generated it, and nowhere else: never in a URL, a log, a redirect
//     target or another page; reloading that page re-posts the reveal, which
//     the registry refuses (410), so the secret is never shown twice.
//
// It must not log a token, a session id or a secret, nor store any of them.
package console
