package ledgersim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

var (
	// ErrNotFound is wrapped by the in-process methods when an id names no
	// object (HTTP 404).
	ErrNotFound = errors.New("ledgersim: not found")
	// ErrInvalid is wrapped by the in-process methods when their input is
	// wrong (HTTP 400).
	ErrInvalid = errors.New("ledgersim: invalid input")
)

// apiError is an answer in the spec's Error shape.
type apiError struct {
	status  int
	name    string
	message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("ledgersim: %d %s: %s", e.status, e.name, e.message)
}

// errorBody is the spec's Error schema.
type errorBody struct {
	Message    string `json:"message"`
	Name       string `json:"name"`
	StatusCode int    `json:"status_code"`
}

func notFound(what string) error {
	return &apiError{http.StatusNotFound, "NotFound", what + " not found"}
}

// notFoundMsg is a 404 with the spec's own wording.
func notFoundMsg(msg string) error {
	return &apiError{http.StatusNotFound, "NotFound", msg}
}

// badQuery is the upstream's 400 for query strings.
func badQuery(detail string) error {
	return &apiError{http.StatusBadRequest, "InvalidSearchParameters", "Invalid search parameter(s): " + detail}
}

func badQueryf(format string, args ...any) error { return badQuery(fmt.Sprintf(format, args...)) }

func badBody(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, "InvalidRequestData", "Invalid request data: " + fmt.Sprintf(format, args...)}
}

// invalid and missing build the in-process methods' errors.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func missing(kind string, id int) error {
	return fmt.Errorf("%w: %s %d", ErrNotFound, kind, id)
}

// toAPIError is the one place errors become HTTP statuses and Error bodies.
func toAPIError(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, ErrNotFound):
		return &apiError{http.StatusNotFound, "NotFound", err.Error()}
	case errors.Is(err, ErrInvalid):
		return &apiError{http.StatusBadRequest, "InvalidRequestData", err.Error()}
	}
	return &apiError{http.StatusInternalServerError, "InternalServerError", err.Error()}
}

func writeError(w http.ResponseWriter, err error) {
	ae := toAPIError(err)
	writeJSON(w, ae.status, errorBody{Message: ae.message, Name: ae.name, StatusCode: ae.status})
}

// writeJSON encodes v without HTML escaping (the bodies are not HTML, and
// "&" should read as "&").
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		enc.Encode(errorBody{Message: "encoding the answer: " + err.Error(), Name: "InternalServerError", StatusCode: status})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
