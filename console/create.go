package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"reportgate/registry"
)

// Create and edit share one flow, as in Ledger's help page: a form (name,
// entities picked by name, and for an edit the rate limit), a review that
// says what the key will be able to read with the scope resolver's live
// counts, then the request. The form and the review are GETs carrying their
// state in the query (names and entity numbers, nothing secret), so search
// and "Back" work without JavaScript; only filing is a POST.

// keyForm is the state of the create or edit form.
type keyForm struct {
	Name     string
	Entities []int64 // sorted, unique
	Query    string
	// Rate limit (edit only): RateMode "keep", "default" or "custom".
	RateMode, RateCount, RatePer, RateBurst string
	// Client certificate: CertSHA its fingerprint as typed; CertMode (edit
	// only) "keep", "none" or "set".
	CertMode, CertSHA string
}

func readKeyForm(q url.Values) (keyForm, error) {
	f := keyForm{Name: strings.TrimSpace(q.Get("name")), Query: q.Get("q"),
		RateMode: q.Get("rate"), RateCount: strings.TrimSpace(q.Get("rate_count")),
		RatePer: q.Get("rate_per"), RateBurst: strings.TrimSpace(q.Get("rate_burst")),
		CertMode: q.Get("cert"), CertSHA: strings.TrimSpace(q.Get("cert_sha256"))}
	for _, s := range q["entity"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, badForm("An entity in the form is not valid. Start again from the key list.")
		}
		f.Entities = append(f.Entities, id)
	}
	slices.Sort(f.Entities)
	f.Entities = slices.Compact(f.Entities)
	if f.RateMode == "" {
		f.RateMode = "keep"
	}
	if f.RatePer == "" {
		f.RatePer = "s"
	}
	if f.CertMode == "" {
		f.CertMode = "keep"
	}
	return f, nil
}

// values is the form as query parameters (for Back links and hidden fields).
func (f keyForm) values() url.Values {
	v := url.Values{"name": {f.Name}}
	for _, id := range f.Entities {
		v.Add("entity", strconv.FormatInt(id, 10))
	}
	if f.RateMode != "keep" {
		v.Set("rate", f.RateMode)
		v.Set("rate_count", f.RateCount)
		v.Set("rate_per", f.RatePer)
		v.Set("rate_burst", f.RateBurst)
	}
	if f.CertMode != "keep" {
		v.Set("cert", f.CertMode)
	}
	if f.CertSHA != "" {
		v.Set("cert_sha256", f.CertSHA)
	}
	return v
}

// check is what the form must hold before the review.
func (f keyForm) check() string {
	switch {
	case f.Name == "":
		return "Give the key a name, such as the partner's or the tool's, so that everyone recognises it."
	case utf8.RuneCountInString(f.Name) > registry.MaxNameLen:
		return "The name is too long: at most " + strconv.Itoa(registry.MaxNameLen) + " characters."
	case len(f.Entities) == 0:
		return "Pick at least one entity: the key reads the data of the entities you authorise, and nothing else."
	case len(f.Entities) > registry.MaxEntities:
		return "Too many entities: a key may be bound to at most " + strconv.Itoa(registry.MaxEntities) + "."
	}
	return ""
}

// pickerData is the create or edit form page.
type pickerData struct {
	Edit     bool
	Key      *keyRow
	Form     keyForm
	Selected []entityRef
	Entities []pickEntity
	Matches  int
	Problem  string
	Action   string // the review page
	Search   string // this page
	Quorum   int
	// ClientCerts: keys may be bound to a client certificate here.
	ClientCerts bool
}

type pickEntity struct {
	entity
	Checked bool
}

func (c *Console) picker(ctx context.Context, f keyForm, edit bool) (pickerData, error) {
	d := pickerData{Edit: edit, Form: f, Quorum: c.reg.Quorum(), Selected: c.entities.refs(ctx, f.Entities),
		ClientCerts: c.opts.ClientCertBindings}
	found, err := c.entities.search(ctx, f.Query)
	if err != nil {
		return d, err
	}
	d.Matches = len(found)
	// Picked entities stay in the list (and so in the form) whatever the
	// search, first.
	_, byID, _ := c.entities.all(ctx) // search succeeded: so does this
	for _, ref := range d.Selected {
		e, ok := byID[ref.ID]
		if !ok {
			e = entity{ID: ref.ID, Name: ref.Name}
		}
		d.Entities = append(d.Entities, pickEntity{entity: e, Checked: true})
	}
	for _, e := range found {
		if !slices.Contains(f.Entities, e.ID) {
			d.Entities = append(d.Entities, pickEntity{entity: e})
		}
	}
	return d, nil
}

func (c *Console) createForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readKeyForm(r.URL.Query())
	if err != nil {
		return err
	}
	d, err := c.picker(r.Context(), f, false)
	if err != nil {
		return err
	}
	d.Action, d.Search = "/keys/new/review", "/keys/new"
	c.render(w, r, v, http.StatusOK, "create", d)
	return nil
}

// reviewData is the review step before a request is filed.
type reviewData struct {
	Heading  string
	Edit     bool
	Key      *keyRow
	Name     string
	Entities []entityRef
	// ClientCert is a creation's binding, in words; "" for none.
	ClientCert string
	Scope      scopeCounts
	Changes    []changeRow
	Quorum     int
	Hidden     url.Values
	Action     string
	Back       string
}

type scopeCounts struct{ Accounts, Users, Whitelists, Groups int }

type changeRow struct{ Field, Before, After string }

func (c *Console) createReview(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readKeyForm(r.URL.Query())
	if err != nil {
		return err
	}
	msg := f.check()
	if msg == "" {
		msg = c.unknownEntities(r.Context(), f.Entities)
	}
	cert, err := c.certBinding(f)
	if msg == "" && err != nil {
		msg = explain("", err).Message
	}
	if msg != "" {
		d, err := c.picker(r.Context(), f, false)
		if err != nil {
			return err
		}
		d.Action, d.Search, d.Problem = "/keys/new/review", "/keys/new", msg
		c.render(w, r, v, http.StatusBadRequest, "create", d)
		return nil
	}
	counts, err := c.counts(r.Context(), f.Entities)
	if err != nil {
		return err
	}
	d := reviewData{Heading: "Review your key creation request", Name: f.Name, Entities: c.entities.refs(r.Context(), f.Entities),
		Scope: counts, Quorum: c.reg.Quorum(), Hidden: f.values(), Action: "/keys", Back: "/keys/new?" + f.values().Encode()}
	if !cert.IsZero() {
		d.ClientCert = certWords(cert.String())
	}
	c.render(w, r, v, http.StatusOK, "review", d)
	return nil
}

// unknownEntities names, for the review, the picked entities the upstream
// does not list (deleted, or typed into the address): a key bound to them
// would read nothing of them. "" when all are known.
func (c *Console) unknownEntities(ctx context.Context, ids []int64) string {
	if _, _, err := c.entities.all(ctx); err != nil {
		return "" // unreadable upstream: the counts say so next
	}
	for _, ref := range c.entities.refs(ctx, ids) {
		if !ref.Known {
			return ref.Name + " is not an entity of this workspace in Ledger Enterprise (it may have been deleted). Untick it to go on."
		}
	}
	return ""
}

// counts is what the scope resolver finds for entities, live.
func (c *Console) counts(ctx context.Context, entities []int64) (scopeCounts, error) {
	s, err := c.scopes.Scope(ctx, entities)
	if err != nil {
		return scopeCounts{}, err
	}
	return scopeCounts{Accounts: len(s.Accounts), Users: len(s.Users), Whitelists: len(s.Whitelists), Groups: len(s.Groups)}, nil
}

func (c *Console) fileCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readKeyForm(r.PostForm)
	if err != nil {
		return err
	}
	if msg := f.check(); msg != "" {
		return badForm(msg)
	}
	cert, err := c.certBinding(f)
	if err != nil {
		return err
	}
	k, req, err := c.reg.FileCreateKey(r.Context(), v.who.ID, registry.NewKey{Name: f.Name, Entities: f.Entities, ClientCert: cert})
	c.notifyFiled(r.Context(), req, err)
	if err != nil {
		return err
	}
	c.log.Info("console: key creation requested", "admin_id", v.who.ID, "key_id", k.ID, "request_id", req.ID)
	http.Redirect(w, r, "/keys/"+k.ID+"?done=filed", http.StatusSeeOther)
	return nil
}
