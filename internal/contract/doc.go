// Package contract checks HTTP exchanges against the Ledger Enterprise API's
// public OpenAPI description, so the gateway and the simulator cannot drift
// from what an existing Ledger client expects.
//
// The description is openapi.json beside this file, generated from the
// reference spec by scripts/gen-openapi.py (make contract-spec): the spec
// without its prose, with the changes listed in its "x-reportgate" block (the
// oneOfs whose alternatives overlap become anyOf; docs/contract.md explains
// each). Validation is done by kin-openapi's openapi3filter; this package adds
// what the library leaves open:
//
//   - two hops with their own credentials: the partner hop (a partner calling
//     the gateway) authenticates with X-Ledger-Reporting-API-Key and
//     X-Ledger-Workspace in place of the spec's operator schemes, and also
//     knows the gateway's one extension, DELETE /notifications/configuration;
//     the upstream hop (the gateway or a test calling the upstream) uses the
//     spec's operator headers and must not carry a partner's;
//   - strict requests: unknown query parameters and repeated scalars break
//     the contract (the library ignores both);
//   - statuses an operation does not document (401, 403, 420, 5xx, …) must
//     carry the spec's Error body; a request the spec refuses must not be
//     answered with success.
//
// Validator checks one exchange from raw pieces (method, target, headers,
// status, body), so fasthttp and net/http tests use it alike. Recorder
// collects the failures of a whole test and reports them, with the
// operations exercised, when the test ends; its Observe method fits
// ledgersim.Config.Observe, so a test sees every answer the simulator serves.
//
// It is test infrastructure: the gateway's own packages must not import it.
package contract
