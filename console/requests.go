package console

import (
	"context"
	"net/http"
	"slices"

	"reportgate/registry"
)

// requestRow is a request with everything an approver must see: the key by
// name, the entities by name, the difference an edit makes, who asked, the
// approvals so far of the quorum, and the expiry.
type requestRow struct {
	registry.Request
	State     statusInfo
	KindWords string
	KeyName   string
	Entities  []entityRef // a creation's entities
	// ClientCert is a creation's client certificate binding, in words.
	ClientCert string
	Changes    []changeRow // an edit's or a revocation's difference
	Mine       bool
	CanVote    bool
	MyVote     string // "approved", "rejected" or ""
}

// mayVote: a pending request the admin did not file and has not voted on.
func mayVote(req registry.Request, adminID string) bool {
	if req.Status != registry.RequestPending || req.RequestedBy == adminID {
		return false
	}
	return myVote(req, adminID) == ""
}

func myVote(req registry.Request, adminID string) string {
	voted := func(v registry.Vote) bool { return v.AdminID == adminID }
	switch {
	case slices.ContainsFunc(req.Approvals, voted):
		return "approved"
	case slices.ContainsFunc(req.Rejections, voted):
		return "rejected"
	}
	return ""
}

// requestRow describes req; key, when known, saves reading it.
func (c *Console) requestRow(ctx context.Context, req registry.Request, v *visit, key *keyRow) requestRow {
	row := requestRow{Request: req, State: requestStatus(req.Status), KindWords: kindWords(req.Kind),
		Mine: req.RequestedBy == v.who.ID, CanVote: mayVote(req, v.who.ID), MyVote: myVote(req, v.who.ID)}
	switch {
	case key != nil:
		row.KeyName = key.Name
	case req.After.Name != "":
		row.KeyName = req.After.Name
	case req.Before.Name != "":
		row.KeyName = req.Before.Name
	default:
		if k, err := c.reg.Key(ctx, req.KeyID); err == nil {
			row.KeyName = k.Name
		}
	}
	b, a := req.Before, req.After
	switch req.Kind {
	case registry.KindCreate:
		row.Entities = c.entities.refs(ctx, a.Entities)
		if a.ClientCert != "" {
			row.ClientCert = certWords(a.ClientCert)
		}
	case registry.KindRevoke:
		row.Changes = []changeRow{{"Status", keyStatus(string(b.Status)).Word, keyStatus(string(a.Status)).Word}}
	case registry.KindEdit:
		if a.Name != "" && a.Name != b.Name {
			row.Changes = append(row.Changes, changeRow{"Name", b.Name, a.Name})
		}
		if len(a.Entities) > 0 {
			row.Changes = append(row.Changes, changeRow{"Entities", c.namesOf(ctx, b.Entities), c.namesOf(ctx, a.Entities)})
		}
		if a.RateLimit != "" {
			row.Changes = append(row.Changes, changeRow{"Rate limit", rateWords(b.RateLimit, b.RateLimitBurst),
				rateWords(a.RateLimit, a.RateLimitBurst)})
		}
		if a.ClientCert != "" {
			row.Changes = append(row.Changes, changeRow{"Client certificate", certWords(b.ClientCert), certWords(a.ClientCert)})
		}
	}
	return row
}

type requestsData struct {
	Awaiting, Mine, Others []requestRow
}

// requestScan bounds the requests read for "your requests".
const requestScan = 200

func (c *Console) requestList(w http.ResponseWriter, r *http.Request, v *visit) error {
	ctx := r.Context()
	pending, err := c.reg.ListRequests(ctx, registry.RequestPending, "", registry.MaxPageSize)
	if err != nil {
		return err
	}
	var d requestsData
	for _, req := range pending.Items {
		switch {
		case mayVote(req, v.who.ID):
			d.Awaiting = append(d.Awaiting, c.requestRow(ctx, req, v, nil))
		case req.RequestedBy != v.who.ID:
			d.Others = append(d.Others, c.requestRow(ctx, req, v, nil))
		}
	}
	recent, err := c.reg.ListRequests(ctx, "", "", requestScan)
	if err != nil {
		return err
	}
	for _, req := range recent.Items {
		if req.RequestedBy == v.who.ID && len(d.Mine) < 50 {
			d.Mine = append(d.Mine, c.requestRow(ctx, req, v, nil))
		}
	}
	v.awaiting = len(d.Awaiting)
	c.render(w, r, v, http.StatusOK, "requests", d)
	return nil
}

type requestPageData struct {
	Request requestRow
	Key     keyRow
	Scope   *scopeCounts // what a creation or an edit would let the key read
}

func (c *Console) requestPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	ctx := r.Context()
	req, err := c.reg.Request(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	key, _, err := c.keyRow(ctx, req.KeyID)
	if err != nil {
		return err
	}
	d := requestPageData{Request: c.requestRow(ctx, req, v, &key), Key: key}
	if req.Status == registry.RequestPending && len(req.After.Entities) > 0 {
		// The approver sees what approving grants; an upstream hiccup
		// leaves the counts out, not the request.
		if counts, err := c.counts(ctx, req.After.Entities); err == nil {
			d.Scope = &counts
		}
	}
	c.render(w, r, v, http.StatusOK, "request", d)
	return nil
}

func (c *Console) decideConfirm(w http.ResponseWriter, r *http.Request, v *visit) error {
	ctx := r.Context()
	verb := r.PathValue("verb")
	req, err := c.reg.Request(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	key, _, err := c.keyRow(ctx, req.KeyID)
	if err != nil {
		return err
	}
	row := c.requestRow(ctx, req, v, &key)
	d := confirmData{Nav: "requests", Action: "/requests/" + req.ID + "/" + verb, Cancel: "/requests/" + req.ID, Request: &row}
	what := "the " + row.KindWords + " of the key “" + row.KeyName + "”"
	switch verb {
	case "approve":
		d.Title, d.Heading, d.Button = "Approve request", "Approve "+what+"?", "Approve"
		d.Lead = "Your approval will be " + itoa(len(req.Approvals)+1) + " of the " + itoa(req.Quorum) + " needed."
		if len(req.Approvals)+1 >= req.Quorum {
			d.Points = append(d.Points, "It completes the quorum: the request is applied at once.")
		}
	case "reject":
		d.Title, d.Heading, d.Button, d.Danger = "Reject request", "Reject "+what+"?", "Reject", true
		d.Lead = "One rejection is enough: the request is closed and nothing it asked for happens."
	case "abort":
		d.Title, d.Heading, d.Button, d.Danger = "Withdraw request", "Withdraw your request for "+what+"?", "Withdraw request", true
		d.Lead = "The request is closed and nothing it asked for happens. You can file a new one later."
	default:
		return errNoPage
	}
	c.render(w, r, v, http.StatusOK, "confirm", d)
	return nil
}

func (c *Console) decide(w http.ResponseWriter, r *http.Request, v *visit) error {
	verb, id := r.PathValue("verb"), r.PathValue("id")
	op := map[string]func(context.Context, string, string) (registry.Request, registry.Key, error){
		"approve": c.reg.Approve, "reject": c.reg.Reject, "abort": c.reg.Abort,
	}[verb]
	if op == nil {
		return errNoPage
	}
	req, _, err := op(r.Context(), v.who.ID, id)
	if err != nil {
		return err
	}
	c.log.Info("console: request "+verb, "admin_id", v.who.ID, "request_id", req.ID, "status", req.Status)
	http.Redirect(w, r, "/requests/"+req.ID+"?done="+verb, http.StatusSeeOther)
	return nil
}
