package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"reportgate/registry"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pageNames are the templates in templates/, each a page of the layout.
var pageNames = []string{
	"signin", "problem", "keys", "key", "create", "review", "confirm", "reveal",
	"requests", "request", "audit", "admins",
}

type pages struct {
	byName map[string]*template.Template
	// assets maps a static file to its versioned URL, so browsers may cache
	// it for long and still see a new binary's at once.
	assets map[string]string
}

func parsePages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}, assets: map[string]string{}}
	entries, err := fs.ReadDir(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, _ := staticFiles.ReadFile("static/" + e.Name())
		sum := sha256.Sum256(b)
		p.assets[e.Name()] = "/static/" + e.Name() + "?v=" + hex.EncodeToString(sum[:6])
	}
	funcs := template.FuncMap{
		"asset":     func(name string) string { return p.assets[name] },
		"keyStatus": keyStatus, "requestStatus": requestStatus, "kind": kindWords,
		"date": date, "plural": plural, "audit": auditWords, "auditKey": auditKeyName,
		"add": func(a, b int) int { return a + b },
		"initial": func(s string) string {
			for _, r := range s {
				return strings.ToUpper(string(r))
			}
			return "?"
		},
	}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles,
			"templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what every page's template receives: the layout's data and the
// page's own (Data).
type view struct {
	Page      string // the template's name, on <body data-page> for tests and styles
	Title     string
	Nav       string // the menu entry to highlight
	Who       *registry.Admin
	CSRF      string
	Awaiting  int
	Workspace string
	Flash     string
	// FlashWarn shows the flash as a warning (a change not every replica
	// confirmed).
	FlashWarn bool
	Data      any
}

// render writes a page; the title and the menu entry are the page's own
// business (see titles).
func (c *Console) render(w http.ResponseWriter, r *http.Request, v *visit, status int, name string, data any) {
	vw := view{Page: name, Workspace: c.reg.Workspace(), Data: data, Flash: flash(r.URL.Query().Get("done"))}
	vw.Title, vw.Nav = titles(name, data)
	if d, ok := data.(keyPageData); ok && d.Replicas != nil {
		vw.Flash, vw.FlashWarn = d.Replicas.Summary, !d.Replicas.All
	}
	if v != nil {
		vw.Who, vw.CSRF = &v.who, v.csrf
		vw.Awaiting = c.awaitingCount(r, v)
	}
	var buf bytes.Buffer
	if err := c.pages.byName[name].ExecuteTemplate(&buf, "layout", vw); err != nil {
		c.log.Error("console: render", "page", name, "err", err)
		http.Error(w, "console: the page could not be drawn; see the gateway's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (c *Console) renderProblem(w http.ResponseWriter, r *http.Request, v *visit, p problem) {
	c.render(w, r, v, p.Status, "problem", p)
}

// titles gives a page's title and menu entry.
func titles(name string, data any) (string, string) {
	switch d := data.(type) {
	case problem:
		return d.Title, ""
	case keyPageData:
		return d.Key.Name, "keys"
	case confirmData:
		return d.Title, d.Nav
	case reviewData:
		return d.Heading, "keys"
	case requestPageData:
		return "Request", "requests"
	}
	switch name {
	case "signin":
		return "Sign in", ""
	case "keys":
		return "Reporting API keys", "keys"
	case "create":
		return "Create Reporting API Key", "keys"
	case "reveal":
		return "Your reporting API key", "keys"
	case "requests":
		return "Requests", "requests"
	case "audit":
		return "Audit log", "audit"
	case "admins":
		return "Administrators", "admins"
	}
	return "reportgate", ""
}

// flash is the one-line confirmation after a POST-redirect-GET, chosen by a
// fixed word in the URL (never a user string).
func flash(done string) string {
	return map[string]string{
		"filed":     "Your request is filed. It now needs the approval of other administrators; they see it under Requests.",
		"edit":      "Your change request is filed. The key keeps its current settings until the quorum approves.",
		"revoke":    "Your revocation request is filed. The key is suspended while the request is pending.",
		"suspend":   "The key is suspended. Partners using it are refused from now on.",
		"unsuspend": "The key is active again.",
		"approve":   "Your approval is recorded.",
		"reject":    "The request is rejected.",
		"abort":     "Your request is withdrawn.",
	}[done]
}

// awaitingCount is the menu's badge: pending requests this admin may still
// vote on. A failure leaves it at 0: the page itself matters more.
func (c *Console) awaitingCount(r *http.Request, v *visit) int {
	if v.awaiting > 0 {
		return v.awaiting
	}
	page, err := c.reg.ListRequests(r.Context(), registry.RequestPending, "", registry.MaxPageSize)
	if err != nil {
		return 0
	}
	n := 0
	for _, req := range page.Items {
		if mayVote(req, v.who.ID) {
			n++
		}
	}
	return n
}

func date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// static serves the embedded style sheet and script.
func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := staticFiles.ReadFile("static/" + name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	// Versioned URLs (asset) change with the content: cache for a day.
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(b)
}
