package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"reportgate/admin"
	"reportgate/registry"
)

// keyRow is a key as the pages show it: the API's view (with its usage),
// entities by name, its requester by name, its status in words.
type keyRow struct {
	admin.Key
	Names         []entityRef
	CreatedByName string
	State         statusInfo
	RateWords     string
}

type filterTab struct {
	Value, Word string
	Active      bool
}

type keysData struct {
	Rows       []keyRow
	Tabs       []filterTab
	Filter     string
	NextCursor string
	// Empty: the workspace has no key at all (not just none with this status).
	Empty bool
}

// keyScanLimit bounds the keys read to fill one filtered page.
const keyScanLimit = 2000

func (c *Console) keyList(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	filter := q.Get("status")
	if filter != "" {
		if _, ok := keyStatuses[registry.Status(filter)]; !ok {
			return badForm("Unknown status filter; pick one of the tabs above the list.")
		}
	}
	keys, next, err := c.filteredKeys(r.Context(), registry.Status(filter), q.Get("cursor"))
	if err != nil {
		return err
	}
	rows, err := c.keyRows(r.Context(), keys)
	if err != nil {
		return err
	}
	d := keysData{Rows: rows, Filter: filter, NextCursor: next}
	d.Tabs = append(d.Tabs, filterTab{"", "All", filter == ""})
	for _, s := range keyFilters {
		d.Tabs = append(d.Tabs, filterTab{string(s), keyStatuses[s].Word, filter == string(s)})
	}
	if len(rows) == 0 && q.Get("cursor") == "" {
		if filter == "" {
			d.Empty = true
		} else if all, err := c.reg.ListKeys(r.Context(), "", 1); err == nil {
			d.Empty = len(all.Items) == 0
		}
	}
	c.render(w, r, v, http.StatusOK, "keys", d)
	return nil
}

// filteredKeys reads a page of keys, newest first, with the given status
// ("" for all), scanning at most keyScanLimit records.
func (c *Console) filteredKeys(ctx context.Context, status registry.Status, cursor string) ([]registry.Key, string, error) {
	const want = 50
	var out []registry.Key
	for scanned := 0; scanned < keyScanLimit; {
		page, err := c.reg.ListKeys(ctx, cursor, registry.MaxPageSize)
		if err != nil {
			return nil, "", err
		}
		for i, k := range page.Items {
			if status == "" || k.Status == status {
				out = append(out, k)
			}
			if len(out) == want {
				if i < len(page.Items)-1 || page.NextCursor != "" {
					return out, k.ID, nil
				}
				return out, "", nil
			}
		}
		scanned += len(page.Items)
		if page.NextCursor == "" {
			return out, "", nil
		}
		cursor = page.NextCursor
	}
	return out, cursor, nil
}

func (c *Console) keyRows(ctx context.Context, keys []registry.Key) ([]keyRow, error) {
	views, err := admin.KeyViews(ctx, c.reg, keys)
	if err != nil {
		return nil, err
	}
	names, err := c.adminNames(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]keyRow, 0, len(views))
	for _, k := range views {
		rows = append(rows, keyRow{Key: k, Names: c.entities.refs(ctx, k.Entities), CreatedByName: names[k.CreatedBy],
			State: keyStatus(k.Status), RateWords: rateWords(k.RateLimit, k.RateLimitBurst)})
	}
	return rows, nil
}

func (c *Console) keyRow(ctx context.Context, id string) (keyRow, registry.Key, error) {
	k, err := c.reg.Key(ctx, id)
	if err != nil {
		return keyRow{}, k, err
	}
	rows, err := c.keyRows(ctx, []registry.Key{k})
	if err != nil {
		return keyRow{}, k, err
	}
	return rows[0], k, nil
}

func (c *Console) adminNames(ctx context.Context) (map[string]string, error) {
	admins, err := c.reg.ListAdmins(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(admins))
	for _, a := range admins {
		out[a.ID] = a.Name
	}
	return out, nil
}

func rateWords(rate string, burst int) string {
	if rate == "" || rate == "default" {
		return "The gateway's default"
	}
	n, unit := rate[:len(rate)-2], "second"
	if rate[len(rate)-1] == 'm' {
		unit = "minute"
	}
	return n + " requests per " + unit + ", " + plural(burst, "request") + " at once"
}

type keyPageData struct {
	Key       keyRow
	Mine      bool // the viewer requested the key: only they may reveal it
	CanReveal bool
	Pending   *requestRow
	History   []auditRow
	// Actions offered, by the key's state.
	CanSuspend, CanUnsuspend, CanRevoke, CanEdit bool
	// Replicas, after a suspend, unsuspend or revocation, says which
	// gateway replicas applied it; it replaces the flash.
	Replicas *replicasNote
}

func (c *Console) keyPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	row, k, err := c.keyRow(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	d := keyPageData{Key: row, Mine: k.CreatedBy == v.who.ID, Replicas: c.replicasNote(r, k)}
	d.CanReveal = d.Mine && k.Status == registry.StatusPendingSecret
	live := k.Status == registry.StatusActive || k.Status == registry.StatusSuspended
	d.CanSuspend = k.Status == registry.StatusActive
	d.CanUnsuspend = k.Status == registry.StatusSuspended && k.PendingRequest == ""
	d.CanRevoke = live && k.PendingRequest == ""
	d.CanEdit = (live || k.Status == registry.StatusPendingSecret) && k.PendingRequest == ""
	if k.PendingRequest != "" {
		req, err := c.reg.Request(r.Context(), k.PendingRequest)
		if err != nil {
			return err
		}
		rr := c.requestRow(r.Context(), req, v, &row)
		d.Pending = &rr
	}
	if d.History, _, err = c.auditRows(r.Context(), k.ID, "", 100); err != nil {
		return err
	}
	c.render(w, r, v, http.StatusOK, "key", d)
	return nil
}

// confirmData is a confirmation step: what will happen, and one button.
type confirmData struct {
	Title, Nav       string
	Heading, Lead    string
	Points           []string
	Action, Button   string
	Danger           bool
	Cancel           string
	Key              *keyRow
	Request          *requestRow
	Hidden           url.Values // fields posted with the form (besides csrf)
	ShowEntityCounts bool
}

func (c *Console) keyActionConfirm(w http.ResponseWriter, r *http.Request, v *visit) error {
	action := r.PathValue("action")
	row, _, err := c.keyRow(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	d := confirmData{Nav: "keys", Action: "/keys/" + row.ID + "/" + action, Cancel: "/keys/" + row.ID, Key: &row}
	switch action {
	case "suspend":
		d.Title, d.Heading, d.Button, d.Danger = "Suspend key", "Suspend “"+row.Name+"”?", "Suspend now", true
		d.Lead = "Suspending is immediate and needs no approval: every partner request with this key is refused from now on, on every gateway."
		d.Points = []string{"Any administrator can unsuspend it later, at once.", "The key's secret stays the same."}
	case "unsuspend":
		d.Title, d.Heading, d.Button = "Unsuspend key", "Unsuspend “"+row.Name+"”?", "Unsuspend now"
		d.Lead = "Partners using this key can read its entities' data again from now on."
	case "revoke":
		d.Title, d.Heading, d.Button, d.Danger = "Revoke key", "Revoke “"+row.Name+"”?", "File revocation request", true
		d.Lead = "Revoking files a request that other administrators must approve. Meanwhile the key is suspended: partners are refused at once."
		d.Points = []string{"Once approved, the key is revoked for ever and can never be used again.",
			"If the request is rejected, withdrawn or expires, the key gets back its current state."}
	default:
		return errNoPage
	}
	c.render(w, r, v, http.StatusOK, "confirm", d)
	return nil
}

// keyAction suspends, unsuspends or files a revocation through the same
// KeyActions as the API (effective on this replica before the answer,
// confirmed by the others within admin.ConfirmWait), then shows the key
// with what the replicas confirmed (replicasNote).
func (c *Console) keyAction(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, action := r.PathValue("id"), r.PathValue("action")
	var k registry.Key
	var err error
	switch action {
	case "suspend":
		k, _, err = c.opts.Actions.Suspend(r.Context(), v.who.ID, id)
	case "unsuspend":
		k, _, err = c.opts.Actions.Unsuspend(r.Context(), v.who.ID, id)
	case "revoke":
		var req registry.Request
		k, req, _, err = c.opts.Actions.FileRevoke(r.Context(), v.who.ID, id)
		c.notifyFiled(r.Context(), req, err)
	default:
		return errNoPage
	}
	if err != nil {
		return err
	}
	c.log.Info("console: key "+action, "admin_id", v.who.ID, "key_id", id)
	http.Redirect(w, r, fmt.Sprintf("/keys/%s?done=%s&gen=%d", id, action, k.Generation), http.StatusSeeOther)
	return nil
}

// replicasNote is what the replicas confirmed of the change a key page was
// redirected from (done, gen), read again from what this replica heard:
// the URL carries only a fixed word and a number, never text to show.
// Nil when the key has changed since, or the page was not such a redirect.
func (c *Console) replicasNote(r *http.Request, k registry.Key) *replicasNote {
	done := r.URL.Query().Get("done")
	if done != "suspend" && done != "unsuspend" && done != "revoke" {
		return nil
	}
	if gen, err := strconv.ParseUint(r.URL.Query().Get("gen"), 10, 64); err != nil || gen != k.Generation {
		return nil
	}
	n := &replicasNote{Confirmation: c.opts.Actions.Confirmation(r.Context(), k, done)}
	switch {
	case n.All:
	case done == "unsuspend":
		n.Hint = "A replica that did not answer may be stopped, or cut off from Redis: until it hears the change, it may still refuse this key."
	default:
		n.Hint = "A replica that did not answer may be stopped, or cut off from Redis. Cut off, it keeps serving the keys it had cached, " +
			"this one included, for at most its outage grace (--outage-grace, 5 minutes by default) after it lost Redis; " +
			"its /readyz shows whether it hears key changes."
	}
	return n
}

// replicasNote is what the replicas confirmed, and what it means when one
// did not.
type replicasNote struct {
	admin.Confirmation
	Hint string
}

func (c *Console) notifyFiled(ctx context.Context, req registry.Request, err error) {
	if err == nil && c.opts.Filed != nil {
		c.opts.Filed(ctx, req)
	}
}

// errNoPage: an unknown action or verb in the path.
var errNoPage = &registry.Error{Kind: registry.ErrNotFound, Reason: "no such page"}
