// Package admin is the admin JSON API: the routes under /v1/ through which
// workspace admins run the key workflow (create, approve, reveal, suspend,
// revoke, edit, audit), and Client, the Go client the CLI uses. Nothing
// else: the console, the upstream's notifications, health and metrics are
// served on the same listener by their own packages.
//
// It authenticates admins by bearer token and leaves every rule of the
// workflow to package registry; it must never answer with a stored secret.
//
// API (api.go, keys.go, requests.go) registers the /v1/keys, /v1/requests,
// /v1/audit, /v1/admins and /v1/notifications/dead routes on a shared
// http.ServeMux, plus a JSON 404/405 for other paths under /v1/. Every error
// has one shape, ErrorBody (internal/apierr), and one mapping, statusFor: 400
// bad input, 401 no or bad token, 403 forbidden, 404 unknown id, 405 wrong
// method, 409 conflict, 410 second reveal, 413 body too large, 422
// unreachable quorum, 503 Redis unreachable (never 404 or 401 for an
// outage). Bodies are strict: unknown fields, field names in another case or
// given twice, trailing data and bodies over MaxBodyBytes are refused; so is
// a repeated Authorization header. NewEdit, KeyViews and KeyActions are
// shared with the console, so each rule lives in one place: KeyActions makes
// suspend, unsuspend and revocation filings effective on this replica before
// the answer and reports which live replicas confirmed them. The reference
// is docs/admin-api.md.
package admin
