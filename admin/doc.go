// Package admin is the admin listener: the JSON API through which workspace
// admins run the key workflow (create, approve, reveal, suspend, revoke,
// edit, audit), the receiver of the upstream's signed notifications, and the
// health, readiness and metrics endpoints.
//
// It authenticates admins by bearer token and leaves every rule of the
// workflow to package registry; it must never answer with a stored secret.
package admin
