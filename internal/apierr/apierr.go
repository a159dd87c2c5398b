// Package apierr is the upstream's Error object, {"message", "name",
// "status_code"}, which every answer of the gateway's own uses: the partner
// proxy's refusals, the notification configuration, the admin API.
package apierr

import (
	"bytes"
	"encoding/json"
)

// Body is the Error object.
type Body struct {
	Message    string `json:"message"`
	Name       string `json:"name"`
	StatusCode int    `json:"status_code"`
}

// names are the Error names of the statuses the gateway answers.
var names = map[int]string{
	400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
	405: "MethodNotAllowed", 408: "RequestTimeout", 409: "Conflict", 410: "Gone",
	413: "PayloadTooLarge", 420: "RateLimited", 422: "QuorumUnreachable", 429: "TooManyRequests",
	431: "RequestHeaderFieldsTooLarge", 500: "InternalServerError", 502: "BadGateway",
	503: "ServiceUnavailable", 504: "GatewayTimeout",
}

// Name is the Error name of status ("InternalServerError" for one the gateway
// never answers).
func Name(status int) string {
	if n, ok := names[status]; ok {
		return n
	}
	return names[500]
}

// New is the Error object of status with msg.
func New(status int, msg string) Body {
	return Body{Message: msg, Name: Name(status), StatusCode: status}
}

// Render is New as JSON, without HTML escaping (messages quote headers and
// placeholders such as "<admin token>"; this is not HTML).
func Render(status int, msg string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(New(status, msg)) // three plain fields: cannot fail
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
