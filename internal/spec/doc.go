// Package spec holds the operations of the Ledger Enterprise API as a compact
// route list generated from the public OpenAPI description
// (scripts/gen-routes.py → routes.json): method, path template, parameters
// (name, place, type, array-ness, enum, bounds) and the schema of the 200
// response.
//
// It is the one place both the gateway (policy coverage, unknown-parameter
// rejection) and the simulator (parameter validation) learn the upstream's
// surface from. It must not carry policy: what a reporting key may do is
// decided in package policy.
package spec
