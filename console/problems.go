package console

import (
	"errors"
	"net/http"
	"strings"

	"reportgate/admin"
	"reportgate/policy"
	"reportgate/registry"
)

// problem is an error as an administrator reads it: what happened and what
// to do, never a status code alone.
type problem struct {
	Status         int
	Title, Message string
	Detail         string // the registry's own reason, in small print
	Back           string // where "Back" leads; "" for the key list
}

const unavailableMessage = "The key registry (Redis) cannot be reached right now, so nothing could be read or changed. " +
	"Wait a moment and reload the page: if an action was under way, check the key's state before repeating it."

// errBadForm is input the console itself refuses (a malformed field).
type errBadForm struct{ msg string }

func (e *errBadForm) Error() string { return "console: " + e.msg }

func badForm(msg string) error { return &errBadForm{msg} }

// explain turns an operation's error into words. op names what was tried
// (the route pattern), so the same sentinel reads differently for a vote
// and for a reveal.
func explain(op string, err error) problem {
	var bf *errBadForm
	var ue *policy.UpstreamError
	p := problem{Detail: admin.Message(err)}
	switch {
	case errors.As(err, &bf):
		p.Status, p.Title, p.Message, p.Detail = http.StatusBadRequest, "Please check the form", bf.msg, ""
	case errors.Is(err, registry.ErrUnavailable):
		p.Status, p.Title, p.Message, p.Detail = http.StatusServiceUnavailable, "The registry is unavailable", unavailableMessage, ""
	case errors.As(err, &ue) || errors.Is(err, errUpstream):
		p.Status, p.Title = http.StatusBadGateway, "The Ledger API did not answer"
		p.Message = "The entities could not be read from the Ledger Enterprise API right now. Wait a moment and try again; " +
			"nothing was filed."
	case errors.Is(err, registry.ErrInvalid):
		p.Status, p.Title = http.StatusBadRequest, "Please check the form"
		p.Message = "Something in the form is not accepted: " + p.Detail + "."
		p.Detail = ""
	case errors.Is(err, registry.ErrNotFound):
		p.Status, p.Title = http.StatusNotFound, "Not found"
		p.Message = "This key or request does not exist. The address may be mistyped, or it belongs to another workspace."
	case errors.Is(err, registry.ErrGone):
		p.Status, p.Title = http.StatusGone, "This key was already revealed"
		p.Message = "A key's secret is shown only once and is never stored, so it cannot be shown again. " +
			"If it was not saved, revoke this key and create a new one."
	case errors.Is(err, registry.ErrQuorumUnreachable):
		p.Status, p.Title = http.StatusUnprocessableEntity, "Not enough administrators to approve this"
		p.Message = "Every request needs the approval of other administrators, and this workspace has too few active ones " +
			"for its quorum. Ask an operator to add administrators (reportgate admin create-admin), then try again."
	case errors.Is(err, registry.ErrForbidden):
		p.Status, p.Title = http.StatusForbidden, "You can't do this"
		p.Message = forbiddenWords(op)
	case errors.Is(err, registry.ErrConflict):
		p.Status, p.Title = http.StatusConflict, "This can't be done right now"
		p.Message = conflictWords(op)
	default:
		p.Status, p.Title, p.Detail = http.StatusInternalServerError, "Something went wrong", ""
		p.Message = "The console hit an unexpected error; it is in the gateway's log. Reload the page to see the current state."
	}
	return p
}

// op is a route pattern; GET confirmations and their POSTs read alike.
func forbiddenWords(op string) string {
	switch strings.TrimPrefix(strings.TrimPrefix(op, "GET "), "POST ") {
	case "/requests/{id}/{verb}":
		return "A request is approved or rejected by administrators other than the one who filed it, " +
			"and only the one who filed it can withdraw it."
	case "/keys/{id}/reveal":
		return "Only the administrator who requested this key can reveal it."
	}
	return "Your administrator account is not allowed to do this (it may have been disabled)."
}

func conflictWords(op string) string {
	switch strings.TrimPrefix(strings.TrimPrefix(op, "GET "), "POST ") {
	case "/requests/{id}/{verb}":
		return "This request is no longer pending: it was decided, withdrawn or expired, possibly a moment ago by " +
			"another administrator. Its page shows what happened."
	case "/keys/{id}/edit", "/keys/{id}/{action}":
		return "The key's current state does not allow this. A key has at most one pending request, a suspended key " +
			"can't be suspended again, and a key being revoked stays suspended until the revocation is decided. " +
			"The key's page shows its current state."
	case "/keys/{id}/reveal":
		return "This key is not ready to be revealed: its creation request must be approved by the quorum first."
	}
	return "The key or request changed in the meantime. Reload the page to see its current state."
}

// fail renders an operation's error as a page, and logs it without
// anything secret (err never holds a token or a secret).
func (c *Console) fail(w http.ResponseWriter, r *http.Request, v *visit, op string, err error) {
	p := explain(op, err)
	level := c.log.Info
	if p.Status >= 500 {
		level = c.log.Error
	}
	adminID := ""
	if v != nil {
		adminID = v.who.ID
	}
	level("console: refused", "route", op, "status", p.Status, "admin_id", adminID, "err", err)
	c.renderProblem(w, r, v, p)
}
