package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"reportgate/admin"
	"reportgate/registry"
)

// An edit files a request for what differs from the key: its name, its
// entities, its rate limit. The rules (what may be empty, how a rate limit
// reads) are admin.NewEdit's, the same as PATCH /v1/keys/{id}.

func (c *Console) editForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	row, k, err := c.keyRow(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if !q.Has("name") { // first visit: the key as it is
		q = url.Values{"name": {k.Name}, "cert_sha256": {k.ClientCert.String()}}
		for _, id := range k.Entities {
			q.Add("entity", strconv.FormatInt(id, 10))
		}
	}
	f, err := readKeyForm(q)
	if err != nil {
		return err
	}
	d, err := c.picker(r.Context(), f, true)
	if err != nil {
		return err
	}
	d.Key, d.Action, d.Search = &row, "/keys/"+k.ID+"/edit/review", "/keys/"+k.ID+"/edit"
	c.render(w, r, v, http.StatusOK, "create", d)
	return nil
}

func (c *Console) editReview(w http.ResponseWriter, r *http.Request, v *visit) error {
	row, k, err := c.keyRow(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f, err := readKeyForm(r.URL.Query())
	if err != nil {
		return err
	}
	changes, _, err := c.editOf(r.Context(), f, k)
	msg := f.check()
	if msg == "" {
		msg = c.unknownEntities(r.Context(), f.Entities)
	}
	if msg == "" && err != nil {
		msg = explain("", err).Message
	}
	if msg == "" && len(changes) == 0 {
		msg = "Nothing would change: edit the name, the entities, the rate limit or the client certificate, or go back to the key."
	}
	if msg != "" {
		d, err := c.picker(r.Context(), f, true)
		if err != nil {
			return err
		}
		d.Key, d.Action, d.Search, d.Problem = &row, "/keys/"+k.ID+"/edit/review", "/keys/"+k.ID+"/edit", msg
		c.render(w, r, v, http.StatusBadRequest, "create", d)
		return nil
	}
	counts, err := c.counts(r.Context(), f.Entities)
	if err != nil {
		return err
	}
	d := reviewData{Heading: "Review your change request", Edit: true, Key: &row, Name: f.Name,
		Entities: c.entities.refs(r.Context(), f.Entities), Scope: counts, Changes: changes, Quorum: c.reg.Quorum(),
		Hidden: f.values(), Action: "/keys/" + k.ID + "/edit", Back: "/keys/" + k.ID + "/edit?" + f.values().Encode()}
	c.render(w, r, v, http.StatusOK, "review", d)
	return nil
}

func (c *Console) fileEdit(w http.ResponseWriter, r *http.Request, v *visit) error {
	k, err := c.reg.Key(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f, err := readKeyForm(r.PostForm)
	if err != nil {
		return err
	}
	if msg := f.check(); msg != "" {
		return badForm(msg)
	}
	_, e, err := c.editOf(r.Context(), f, k)
	if err != nil {
		return err
	}
	_, req, err := c.reg.FileEdit(r.Context(), v.who.ID, k.ID, e)
	c.notifyFiled(r.Context(), req, err)
	if err != nil {
		return err
	}
	c.log.Info("console: key edit requested", "admin_id", v.who.ID, "key_id", k.ID, "request_id", req.ID)
	http.Redirect(w, r, "/keys/"+k.ID+"?done=edit", http.StatusSeeOther)
	return nil
}

// editOf compares the form with the key: the changes to show, and the
// registry.Edit of only what differs.
func (c *Console) editOf(ctx context.Context, f keyForm, k registry.Key) ([]changeRow, registry.Edit, error) {
	var changes []changeRow
	var name *string
	var entities *[]int64
	if f.Name != k.Name {
		name = &f.Name
		changes = append(changes, changeRow{"Name", k.Name, f.Name})
	}
	if !slices.Equal(f.Entities, k.Entities) {
		entities = &f.Entities
		changes = append(changes, changeRow{"Entities", c.namesOf(ctx, k.Entities), c.namesOf(ctx, f.Entities)})
	}
	rate, burst, err := f.rate()
	if err != nil {
		return nil, registry.Edit{}, err
	}
	e, err := admin.NewEdit(name, entities, rate, burst)
	if err != nil {
		return nil, registry.Edit{}, err
	}
	if e.RateLimit != nil && *e.RateLimit != k.RateLimit {
		changes = append(changes, changeRow{"Rate limit", rateWords(k.RateLimit.Rate, k.RateLimit.Burst),
			rateWords(e.RateLimit.Rate, e.RateLimit.Burst)})
	} else {
		e.RateLimit = nil
	}
	if e.ClientCert, err = c.certEdit(f); err != nil {
		return nil, registry.Edit{}, err
	}
	if e.ClientCert != nil && *e.ClientCert != k.ClientCert {
		changes = append(changes, changeRow{"Client certificate", certWords(k.ClientCert.String()), certWords(e.ClientCert.String())})
	} else {
		e.ClientCert = nil
	}
	return changes, e, nil
}

// rate reads the form's rate limit as PATCH /v1/keys/{id} takes it.
func (f keyForm) rate() (*string, *int, error) {
	switch f.RateMode {
	case "keep":
		return nil, nil, nil
	case "default":
		s := "default"
		return &s, nil, nil
	case "custom":
	default:
		return nil, nil, badForm("Choose how the rate limit should change.")
	}
	if f.RatePer != "s" && f.RatePer != "m" {
		return nil, nil, badForm("Choose per second or per minute for the rate limit.")
	}
	s := f.RateCount + "/" + f.RatePer
	if f.RateBurst == "" {
		return &s, nil, nil
	}
	b, err := strconv.Atoi(f.RateBurst)
	if err != nil {
		return nil, nil, badForm("The burst must be a whole number of requests, such as 20.")
	}
	return &s, &b, nil
}

func (c *Console) namesOf(ctx context.Context, ids []int64) string {
	refs := c.entities.refs(ctx, ids)
	out := ""
	for i, r := range refs {
		if i > 0 {
			out += ", "
		}
		out += r.Name
	}
	return out
}
