package console

import (
	"errors"
	"net/http"

	"reportgate/admin"
	"reportgate/registry"
)

// revealData is the one page that ever holds a key's secret.
type revealData struct {
	Key    keyRow
	Secret string
	// Warning is set when no Redis replica confirmed the reveal yet.
	Warning string
}

func (c *Console) revealConfirm(w http.ResponseWriter, r *http.Request, v *visit) error {
	row, k, err := c.keyRow(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := mayReveal(k, v.who.ID); err != nil {
		return err
	}
	c.render(w, r, v, http.StatusOK, "confirm", confirmData{
		Title: "Reveal key", Nav: "keys", Heading: "Reveal “" + row.Name + "”", Key: &row,
		Lead: "The key is generated now and can only be shown and copied once: it is not stored, so nobody can show it again.",
		Points: []string{"Be ready to save it in a password manager, or to communicate it securely to your developers and partners, before you leave the page.",
			"If it is lost, the only way out is to revoke this key and create a new one."},
		Action: "/keys/" + row.ID + "/reveal", Button: "Reveal", Cancel: "/keys/" + row.ID,
	})
	return nil
}

// mayReveal says in advance what the registry would refuse, so that the
// confirmation is not offered in vain; the registry still decides.
func mayReveal(k registry.Key, adminID string) error {
	switch {
	case k.CreatedBy != adminID:
		return &registry.Error{Kind: registry.ErrForbidden, Reason: "only the requester may reveal a key"}
	case k.Status == registry.StatusPendingApproval:
		return &registry.Error{Kind: registry.ErrConflict, Reason: "the key is not approved yet"}
	case !k.RevealedAt.IsZero():
		return &registry.Error{Kind: registry.ErrGone, Reason: "the key was revealed already"}
	case k.Status != registry.StatusPendingSecret:
		return &registry.Error{Kind: registry.ErrConflict, Reason: "the key cannot be revealed in its state"}
	}
	return nil
}

// reveal generates the secret and renders it in this answer only: no
// redirect (its target would show it again or need it stored), no-store (set
// by secure), and a reload re-posts, which the registry answers with
// ErrGone. The secret is not logged.
func (c *Console) reveal(w http.ResponseWriter, r *http.Request, v *visit) error {
	k, secret, err := c.reg.Reveal(r.Context(), v.who.ID, r.PathValue("id"))
	warning := ""
	if errors.Is(err, registry.ErrNotReplicated) && secret != "" {
		warning, err = admin.NotReplicatedReveal, nil
	}
	if err != nil {
		return err
	}
	rows, err := c.keyRows(r.Context(), []registry.Key{k})
	if err != nil {
		// The secret exists now and only this page can show it: show it
		// with what is known rather than lose it.
		rows = []keyRow{{State: keyStatus(string(k.Status))}}
		rows[0].ID, rows[0].Name, rows[0].DisplayPrefix = k.ID, k.Name, k.DisplayPrefix
	}
	c.log.Info("console: key revealed", "admin_id", v.who.ID, "key_id", k.ID, "display_prefix", k.DisplayPrefix)
	c.render(w, r, v, http.StatusOK, "reveal", revealData{Key: rows[0], Secret: secret, Warning: warning})
	return nil
}
