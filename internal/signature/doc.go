// Package signature signs and verifies notification bodies in the upstream's
// format, X-Ledger-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>." + body)>. The gateway verifies the upstream's notifications with it
// and signs its own deliveries to partners with it; the simulator signs with
// it too, so all three speak exactly one format.
//
// Verify is lenient about the header's spelling (part order, spaces, unknown
// parts, several v1 values for secret rotation), so a header's text never
// identifies a notification: ReplayKey does, from what was signed.
package signature
