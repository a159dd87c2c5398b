package admin

import (
	"errors"
	"net/http"

	"reportgate/internal/apierr"
	"reportgate/ratelimit"
	"reportgate/registry"
)

// ErrorBody is the one error shape of the admin API, the upstream's Error
// object: {"message": "...", "name": "...", "status_code": N}.
type ErrorBody = apierr.Body

// apiError is an error decided by this package (authentication, body and
// query parsing) rather than by the registry.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return "admin: " + e.msg }

func badRequest(msg string) error   { return &apiError{http.StatusBadRequest, msg} }
func unauthorized(msg string) error { return &apiError{http.StatusUnauthorized, msg} }

// statusFor is the one place that maps errors to HTTP statuses and names.
// An outage is 503, never 404: callers must not read it as "no such key".
func statusFor(err error) (int, string) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae.status, statusName(ae.status)
	case errors.Is(err, registry.ErrUnavailable), errors.Is(err, ratelimit.ErrUnavailable):
		return http.StatusServiceUnavailable, statusName(http.StatusServiceUnavailable)
	case errors.Is(err, registry.ErrInvalid):
		return http.StatusBadRequest, statusName(http.StatusBadRequest)
	case errors.Is(err, registry.ErrNotFound):
		return http.StatusNotFound, statusName(http.StatusNotFound)
	case errors.Is(err, registry.ErrForbidden):
		return http.StatusForbidden, statusName(http.StatusForbidden)
	case errors.Is(err, registry.ErrConflict):
		return http.StatusConflict, statusName(http.StatusConflict)
	case errors.Is(err, registry.ErrGone):
		return http.StatusGone, statusName(http.StatusGone)
	case errors.Is(err, registry.ErrQuorumUnreachable):
		// 422: the request is well-formed and the state is fine, but the
		// workspace has too few admins to ever approve it.
		return http.StatusUnprocessableEntity, statusName(http.StatusUnprocessableEntity)
	}
	return http.StatusInternalServerError, statusName(http.StatusInternalServerError)
}

func statusName(status int) string { return apierr.Name(status) }

// errorMessage is what the client reads. Outages and internal errors carry
// no detail (Redis addresses, script errors): those go to the log.
func errorMessage(err error, status int) string {
	var ae *apiError
	var re *registry.Error
	switch {
	case errors.As(err, &ae):
		return ae.msg
	case status == http.StatusServiceUnavailable:
		return "the registry (Redis) is unavailable; retry later, reading the state first: a change may have been applied before the connection failed"
	case status == http.StatusInternalServerError:
		return "internal error"
	case errors.As(err, &re):
		return re.Reason
	}
	return err.Error()
}

// Message is what an admin reads of err, as the API words it: the reason of
// a refusal or of bad input, nothing of an outage or an internal error. The
// console shows it beside its own explanation.
func Message(err error) string {
	status, _ := statusFor(err)
	return errorMessage(err, status)
}
