package console

import (
	"encoding/json"
	"strconv"

	"reportgate/registry"
)

// The console's words for the registry's states: what an administrator
// reads, never an internal code. Each status also has a badge class.

type statusInfo struct {
	Word, Class, Hint string
}

var keyStatuses = map[registry.Status]statusInfo{
	registry.StatusPendingApproval: {"Awaiting approval", "amber", "The creation request waits for the administrators' quorum."},
	registry.StatusPendingSecret:   {"Ready to reveal", "blue", "Approved. The administrator who requested it can now reveal it."},
	registry.StatusActive:          {"Active", "green", "Partners can use it."},
	registry.StatusSuspended:       {"Suspended", "orange", "Refused until an administrator unsuspends it."},
	registry.StatusRevoked:         {"Revoked", "red", "Refused for ever."},
	registry.StatusAborted:         {"Not created", "grey", "The creation request was rejected, withdrawn or expired."},
}

// keyFilters are the list's status tabs, in order.
var keyFilters = []registry.Status{
	registry.StatusActive, registry.StatusPendingApproval, registry.StatusPendingSecret,
	registry.StatusSuspended, registry.StatusRevoked, registry.StatusAborted,
}

func keyStatus(s string) statusInfo {
	if i, ok := keyStatuses[registry.Status(s)]; ok {
		return i
	}
	return statusInfo{Word: s, Class: "grey"}
}

var requestStatuses = map[registry.RequestStatus]statusInfo{
	registry.RequestPending:  {"Pending", "amber", ""},
	registry.RequestApproved: {"Approved", "green", ""},
	registry.RequestRejected: {"Rejected", "red", ""},
	registry.RequestAborted:  {"Withdrawn", "grey", ""},
	registry.RequestExpired:  {"Expired", "grey", ""},
}

func requestStatus(s registry.RequestStatus) statusInfo {
	if i, ok := requestStatuses[s]; ok {
		return i
	}
	return statusInfo{Word: string(s), Class: "grey"}
}

// kindWords names what a request asks for: "creation", "change", "revocation".
func kindWords(k registry.RequestKind) string {
	switch k {
	case registry.KindCreate:
		return "creation"
	case registry.KindEdit:
		return "change"
	case registry.KindRevoke:
		return "revocation"
	}
	return string(k)
}

// auditSnapshot is what the console reads of an audit entry's after side.
type auditSnapshot struct {
	Key *struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"key"`
	Request *struct {
		Kind      string `json:"kind"`
		Status    string `json:"status"`
		Approvals int    `json:"approvals"`
	} `json:"request"`
	Admin *struct {
		Name string `json:"name"`
	} `json:"admin"`
}

// auditWords says what an audit entry records, in a sentence whose subject
// is the entry's actor ("approved the creation request (1 of 2)").
func auditWords(e registry.AuditEntry) string {
	var after auditSnapshot
	_ = json.Unmarshal(e.After, &after) // an unreadable snapshot leaves the action's bare words
	kind := "the"
	if after.Request != nil {
		kind = "the " + kindWords(registry.RequestKind(after.Request.Kind))
	}
	switch e.Action {
	case "request.create":
		return "requested " + kind + " of the key"
	case "request.approve":
		s := "approved " + kind + " request"
		if after.Request != nil {
			s += " (" + strconv.Itoa(after.Request.Approvals) + " approval"
			if after.Request.Approvals != 1 {
				s += "s"
			}
			s += " so far)"
			if after.Request.Status == string(registry.RequestApproved) {
				s += ": the quorum is reached and the request is applied"
			}
		}
		return s
	case "request.reject":
		return "rejected " + kind + " request"
	case "request.abort":
		return "withdrew " + kind + " request"
	case "request.expire":
		return "T" + kind[1:] + " request expired without reaching the quorum"
	case "key.reveal":
		return "revealed the key (its secret was shown once)"
	case "key.suspend":
		return "suspended the key"
	case "key.unsuspend":
		return "unsuspended the key"
	case "admin.create", "admin.disable":
		name := ""
		if after.Admin != nil {
			name = " " + after.Admin.Name
		}
		if e.Action == "admin.create" {
			return "added the administrator" + name
		}
		return "disabled the administrator" + name
	}
	return e.Action
}

// auditKeyName is the key's name as the entry recorded it.
func auditKeyName(e registry.AuditEntry) string {
	var after auditSnapshot
	if json.Unmarshal(e.After, &after) == nil && after.Key != nil {
		return after.Key.Name
	}
	return ""
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func itoa(n int) string { return strconv.Itoa(n) }
