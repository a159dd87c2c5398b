package notify

import (
	"strconv"

	"reportgate/registry"
)

// CacheEffect names the cached upstream answers an event makes stale, as
// heads of request targets (upstream.Shared.Purge): the object and its
// kind's lists, for the objects whose events change no scope (a
// transaction, a request, a user). Events that change a scope (an entity,
// an account, a group, a whitelist) need none: every replica drops every
// cached answer when it hears of a scope change.
func CacheEffect(e registry.NotifyEvent) []string {
	var list string
	switch e.PayloadType {
	case "TRANSACTION":
		list = "/transactions"
	case "REQUEST":
		list = "/requests"
	case "USER":
		list = "/users"
	default:
		return nil
	}
	return []string{list + "/" + strconv.FormatInt(e.ID, 10), list}
}
