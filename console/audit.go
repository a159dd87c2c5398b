package console

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"reportgate/registry"
)

// auditRow is an audit entry in words.
type auditRow struct {
	registry.AuditEntry
	Words   string
	KeyName string
	System  bool // done by the gateway itself (an expiry), not an admin
}

// auditScan bounds the entries read to fill one filtered page.
const auditScan = 10_000

// auditRows reads entries after cursor, oldest first, those of keyID only
// when it is set, until limit match or auditScan were read. next is where
// the following page starts ("" at the end of the log).
func (c *Console) auditRows(ctx context.Context, keyID, cursor string, limit int) (rows []auditRow, next string, err error) {
	if keyID != "" && cursor == "" {
		cursor = keyHistoryStart(keyID)
	}
	for scanned := 0; scanned < auditScan; {
		page, err := c.reg.Audit(ctx, cursor, registry.MaxPageSize)
		if err != nil {
			return nil, "", err
		}
		for i, e := range page.Items {
			if keyID == "" || e.KeyID == keyID {
				rows = append(rows, auditRow{AuditEntry: e, Words: auditWords(e), KeyName: auditKeyName(e), System: e.Actor == "system"})
			}
			if len(rows) == limit {
				if i < len(page.Items)-1 || page.NextCursor != "" {
					return rows, e.StreamID, nil
				}
				return rows, "", nil
			}
		}
		scanned += len(page.Items)
		if page.NextCursor == "" {
			return rows, "", nil
		}
		cursor = page.NextCursor
	}
	return rows, cursor, nil
}

// keyHistoryStart is an audit cursor shortly before a key's first entry:
// stream ids begin with Redis's time in ms and key ids with the gateway's,
// so start a day early to allow for any clock skew between them.
func keyHistoryStart(keyID string) string {
	if len(keyID) < 16 {
		return ""
	}
	ms, err := strconv.ParseInt(keyID[4:16], 16, 64)
	if err != nil {
		return ""
	}
	start := ms - (24 * time.Hour).Milliseconds()
	if start <= 0 {
		return ""
	}
	return strconv.FormatInt(start, 10) + "-0"
}

type auditData struct {
	Rows         []auditRow
	Verification registry.AuditVerification
	KeyID        string
	KeyName      string
	Keys         []registry.Key // the filter's choices
	NextCursor   string
	First        bool
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	ctx := r.Context()
	q := r.URL.Query()
	d := auditData{KeyID: q.Get("key"), First: q.Get("cursor") == ""}
	if d.KeyID != "" {
		k, err := c.reg.Key(ctx, d.KeyID)
		if err != nil {
			return err
		}
		d.KeyName = k.Name
	}
	var err error
	if d.Rows, d.NextCursor, err = c.auditRows(ctx, d.KeyID, q.Get("cursor"), 50); err != nil {
		return err
	}
	if d.Verification, err = c.reg.VerifyAudit(ctx); err != nil {
		return err
	}
	keys, err := c.reg.ListKeys(ctx, "", registry.MaxPageSize)
	if err != nil {
		return err
	}
	d.Keys = keys.Items
	c.render(w, r, v, http.StatusOK, "audit", d)
	return nil
}

func (c *Console) adminsPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	admins, err := c.reg.ListAdmins(r.Context())
	if err != nil {
		return err
	}
	c.render(w, r, v, http.StatusOK, "admins", struct {
		Admins []registry.Admin
		Quorum int
		Me     string
	}{admins, c.reg.Quorum(), v.who.ID})
	return nil
}
