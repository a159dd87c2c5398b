package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"reportgate/registry"
)

// TestConsoleFlow plays Ledger's help page ("Generate Reporting API Keys")
// in a real headless Chromium against a real gateway, Redis and the
// simulator: alice creates a key for two entities picked by name, bob and
// carol approve in their own sessions, alice reveals it once, a partner
// reads through the gateway with it, bob suspends it (refused at once), a
// change is filed and rejected, and a revocation goes through. With
// REPORTGATE_SCREENSHOTS=1 it saves every page into docs/console/.
func TestConsoleFlow(t *testing.T) {
	h := newHarness(t)
	alice, bob, carol := h.tab("alice"), h.tab("bob"), h.tab("carol")

	// Not signed in: every page leads to the sign-in page.
	alice.open("/keys", "signin")
	alice.shot("01-sign-in")
	alice.signIn()
	alice.wantText("No reporting API keys yet", "Create Reporting API Key")
	alice.shot("02-keys-empty")

	keyID := createKey(t, alice, "Acme Audit LLP", "Treasury", "Trading Desk")
	alice.wantText("Awaiting approval", "Your request is filed")
	alice.shot("05-key-awaiting-approval")

	// A requester cannot approve her own request: she is offered no vote.
	alice.open("/requests", "requests")
	alice.wantText("Nothing awaits your approval", "Create “Acme Audit LLP”", "Withdraw")

	for i, approver := range []*tab{bob, carol} {
		approver.signIn()
		approver.open("/requests", "requests")
		approver.wantText("Awaiting your approval", "Create “Acme Audit LLP”", "Treasury", "Trading Desk",
			"Requested by alice", fmt.Sprintf("%d of 2 approvals", i))
		if i == 0 {
			approver.shot("06-requests-awaiting-approval")
		}
		approver.submit(`a[href$="/approve"]`, "confirm")
		approver.wantText("Approve the creation of the key “Acme Audit LLP”?")
		if i == 1 {
			approver.wantText("It completes the quorum")
			approver.shot("07-approve-confirm")
		}
		approver.submit(`main form button[type=submit].btn-primary`, "request")
		approver.wantText("Your approval is recorded", fmt.Sprintf("%d of 2 approvals", i+1))
	}
	carol.shot("08-request-approved")

	// A non-requester sees no Reveal, and cannot reach it by its address.
	bob.open("/keys/"+keyID, "key")
	bob.wantText("Ready to reveal", "Only alice, who requested this key, can reveal it")
	if bob.exists(`a[href$="/reveal"]`) {
		t.Fatal("bob sees a Reveal button on alice's key")
	}
	bob.open("/keys/"+keyID+"/reveal", "problem")
	bob.wantText("Only the administrator who requested this key can reveal it")

	secret := reveal(t, alice, keyID)

	// The key reads through the gateway, exactly its entities' accounts.
	if status, body := h.partner(secret, "/accounts?page_size=100"); status != http.StatusOK || !strings.Contains(body, `"edges"`) {
		t.Fatalf("partner with the revealed key: %d %s", status, body)
	}
	// What the replicas flush (registry.RecordUsage) shows on the key page
	// and in the list.
	lastUse := time.Now()
	if err := h.reg.RecordUsage(context.Background(), map[string]registry.UsageDelta{keyID: {Count: 1284, Last: lastUse}}); err != nil {
		t.Fatal(err)
	}
	alice.open("/keys/"+keyID, "key")
	alice.wantText("Active", "lrk_", "1284", lastUse.UTC().Format("2 Jan 2006, 15:04 UTC"))
	alice.shot("12-key-active")
	alice.open("/keys", "keys")
	alice.wantText("1284")

	editAndReject(t, alice, bob, keyID)

	// bob suspends it: immediate, confirmed, and the gateway refuses it.
	bob.open("/keys/"+keyID, "key")
	bob.submit(`a[href$="/suspend"]`, "confirm")
	bob.wantText("Suspend “Acme Audit LLP”?", "refused from now on")
	bob.shot("16-suspend-confirm")
	bob.submit(`main form button[type=submit]`, "key")
	bob.wantText("Suspended. The only gateway replica refuses it now.", "Suspended")
	waitStatus(t, h, secret, http.StatusForbidden)
	bob.shot("17-key-suspended")

	// alice files the revocation; bob and carol approve: revoked for ever.
	alice.open("/keys/"+keyID, "key")
	alice.submit(`a[href$="/revoke"]`, "confirm")
	alice.wantText("Revoke “Acme Audit LLP”?", "revoked for ever")
	alice.submit(`main form button[type=submit]`, "key")
	alice.wantText("Revocation filed; the key is suspended until it is decided. The only gateway replica refuses it now.", "Pending revocation request")
	for _, approver := range []*tab{bob, carol} {
		approver.open("/requests", "requests")
		approver.wantText("Revoke “Acme Audit LLP”")
		approver.submit(`a[href$="/approve"]`, "confirm")
		approver.submit(`main form button[type=submit].btn-primary`, "request")
	}
	carol.wantText("Approved")
	alice.open("/keys/"+keyID, "key")
	alice.wantText("Revoked", "requested the revocation of the key", "approved the revocation request", "the quorum is reached")
	alice.shot("18-key-revoked")
	waitStatus(t, h, secret, http.StatusForbidden)
	if k, _ := h.reg.Key(context.Background(), keyID); k.Status != registry.StatusRevoked {
		t.Fatalf("key status %s after the revocation, want REVOKED", k.Status)
	}

	alice.open("/audit", "audit")
	alice.wantText("Verified", "requested the creation of the key", "revealed the key", "suspended the key")
	alice.shot("19-audit")
	alice.open("/audit?key="+keyID, "audit")
	alice.wantText("revealed the key")
	alice.noText("added the administrator")
	moreKeys(t, h)
	alice.open("/keys", "keys")
	alice.wantText("Acme Audit LLP", "Revoked", "Treasury", "Northwind Tax Advisors", "Q4 fund administration", "Awaiting approval")
	alice.shot("20-keys")
	// On a phone the menu becomes a top bar and the tables scroll.
	alice.do(chromedp.EmulateViewport(390, 844))
	alice.open("/keys", "keys")
	alice.shot("25-keys-phone")
	alice.do(chromedp.EmulateViewport(1280, 860))
	alice.open("/keys?status=ACTIVE", "keys")
	alice.wantText("Northwind Tax Advisors")
	alice.noText("Acme Audit LLP", "Q4 fund administration")
	alice.open("/admins", "admins")
	alice.wantText("alice", "bob", "carol")
	alice.shot("21-admins")
}

// createKey goes through Create → Review → file as tb, picking entities by
// name, and returns the new key's id.
func createKey(t *testing.T, tb *tab, name string, entities ...string) string {
	t.Helper()
	tb.open("/keys", "keys")
	tb.submit(`a[href="/keys/new"]`, "create")
	tb.do(chromedp.SendKeys(chromedp.ID("name"), name))
	for _, e := range entities {
		// Search by the start of the name with the Search button (the form
		// as it works without JavaScript): the name and the entities picked
		// so far stay, and the list shows the matches.
		tb.do(chromedp.SetValue(chromedp.ID("q"), e[:4]))
		tb.submit(`button[formaction]`, "create")
		if got := tb.text("#entity-list"); !strings.Contains(got, e) {
			t.Fatalf("search %q: %q not listed in %q", e[:4], e, got)
		}
		tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`li[data-name=%q] input[type=checkbox]`, e))))
	}
	tb.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("q").value = ""`))
	tb.submit(`button[formaction]`, "create")
	if n := run(tb, chromedp.Evaluate[int](`document.querySelectorAll('input[name=entity]:checked').length`)); n != len(entities) {
		t.Fatalf("after searching, %d entities are ticked, want %d", n, len(entities))
	}
	if got := run(tb, chromedp.Value(chromedp.ID("name"))); got != name {
		t.Fatalf("after searching, the name field holds %q, want %q", got, name)
	}
	if tb.name == "alice" && strings.HasPrefix(name, "Acme") {
		tb.shot("03-create")
	}
	tb.submit(`main form button[type=submit].btn-primary`, "review")
	tb.wantText(append([]string{name, "What the key will be able to read"}, entities...)...)
	wantCounts(t, tb, entities)
	if tb.name == "alice" && strings.HasPrefix(name, "Acme") {
		tb.shot("04-review")
	}
	tb.submit(`main form[method=post] button[type=submit]`, "key")
	loc := run(tb, chromedp.Location())
	i := strings.Index(loc, "/keys/key_")
	if i < 0 {
		t.Fatalf("after filing: at %s, want a key page", loc)
	}
	return strings.SplitN(loc[i+len("/keys/"):], "?", 2)[0]
}

// wantCounts checks the review's live counts against the simulator's data
// set: the accounts the named entities hold.
func wantCounts(t *testing.T, tb *tab, names []string) {
	t.Helper()
	accounts := map[int]bool{}
	for _, e := range tb.h.sim.Dataset().Entities {
		for _, n := range names {
			if e.Name == n {
				for _, a := range e.Accounts {
					accounts[a] = true
				}
			}
		}
	}
	got := tb.text(`[data-count="accounts"]`)
	if want := fmt.Sprintf("%d accounts", len(accounts)); got != want {
		t.Fatalf("review counts %q, want %q", got, want)
	}
	if !strings.Contains(tb.text(`[data-count="users"]`), "user") || !strings.Contains(tb.text(`[data-count="whitelists"]`), "whitelist") {
		t.Fatal("review shows no user or whitelist count")
	}
}

// reveal reveals the key as its requester: shown once, never after a reload.
func reveal(t *testing.T, alice *tab, keyID string) string {
	t.Helper()
	alice.open("/keys/"+keyID, "key")
	alice.wantText("Your key is approved")
	alice.shot("09-key-ready-to-reveal")
	alice.submit(`.callout a[href$="/reveal"]`, "confirm")
	alice.wantText("can only be shown and copied once")
	alice.shot("10-reveal-confirm")
	headers := captureHeaders(alice, "/keys/"+keyID+"/reveal")
	alice.submit(`main form button[type=submit].btn-primary`, "reveal")
	secret := run(alice, chromedp.Value(chromedp.ID("secret")))
	if !registry.CheckKeyFormat([]byte(secret)) {
		t.Fatalf("revealed value %q is not a reporting key", secret)
	}
	alice.wantText("The key can only be shown and copied once")
	if cc := (<-headers)["cache-control"]; cc != "no-store" {
		t.Fatalf("reveal answer Cache-Control %q, want no-store", cc)
	}
	if loc := run(alice, chromedp.Location()); strings.Contains(loc, secret) {
		t.Fatal("the secret is in the address")
	}
	if alice.h.shots != "" {
		// The screenshot shows a placeholder: a real key, even a test's,
		// has no place in the repository.
		alice.do(chromedp.SetValue(chromedp.ID("secret"), "lrk_••••••••••••••••••••••••••••••••••••••••••••••••"))
		alice.shot("11-reveal-once")
	}
	// A reload posts again: the registry refuses a second reveal, and the
	// secret is nowhere on the page.
	alice.do(chromedp.Evaluate[chromedp.Void](`window.__stale = true`), chromedp.Reload())
	alice.waitPage("problem")
	alice.wantText("This key was already revealed")
	if strings.Contains(run(alice, chromedp.OuterHTML(chromedp.CSS("html"))), secret) {
		t.Fatal("the secret is on the page after a reload")
	}
	for _, path := range []string{"/keys/" + keyID, "/keys", "/audit", "/requests"} {
		alice.open(path, pageOf(path))
		if strings.Contains(run(alice, chromedp.OuterHTML(chromedp.CSS("html"))), secret) {
			t.Fatalf("the secret is on %s", path)
		}
	}
	if strings.Contains(alice.h.logs.String(), secret) {
		t.Fatal("the secret is in the gateway's log")
	}
	return secret
}

func pageOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/keys/"):
		return "key"
	case path == "/keys":
		return "keys"
	}
	return strings.TrimPrefix(path, "/")
}

// editAndReject: alice asks to narrow the key to one entity and give it its
// own rate limit; bob sees the difference and rejects it.
func editAndReject(t *testing.T, alice, bob *tab, keyID string) {
	t.Helper()
	alice.open("/keys/"+keyID+"/edit", "create")
	alice.do(chromedp.Click(chromedp.CSS(`li[data-name="Trading Desk"] input[type=checkbox]`)),
		chromedp.Click(chromedp.CSS(`input[name=rate][value=custom]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=rate_count]`), "50"),
		chromedp.SendKeys(chromedp.CSS(`input[name=rate_burst]`), "100"))
	alice.shot("13-edit")
	alice.submit(`main form button[type=submit].btn-primary`, "review")
	alice.wantText("Review your change request", "Treasury, Trading Desk", "50 requests per second, 100 requests at once")
	alice.submit(`main form[method=post] button[type=submit]`, "key")
	alice.wantText("Your change request is filed", "Pending change request")
	bob.open("/requests", "requests")
	bob.wantText("Change “Acme Audit LLP”", "Rate limit", "50 requests per second", "The gateway's default")
	bob.shot("14-requests-change")
	bob.submit(`a[href$="/reject"]`, "confirm")
	bob.wantText("One rejection is enough")
	bob.submit(`main form button[type=submit].btn-danger`, "request")
	bob.wantText("The request is rejected", "Rejected")
	bob.shot("15-request-rejected")
}

// captureHeaders returns the response headers of the next document
// answered for path.
func captureHeaders(tb *tab, path string) <-chan map[string]string {
	out := make(chan map[string]string, 1)
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	_ = chromedp.Listen(ctx, func(ev any) {
		if r, ok := responseOf(ev); ok && strings.HasSuffix(r.url, path) {
			select {
			case out <- r.headers:
				cancel()
			default:
			}
		}
	})
	return out
}

// waitStatus waits until the gateway answers the partner with status.
func waitStatus(t *testing.T, h *harness, secret string, status int) {
	t.Helper()
	eventually(t, fmt.Sprintf("partner request answered %d", status), func() error {
		if got, _ := h.partner(secret, "/accounts?page_size=1"); got != status {
			return fmt.Errorf("%w: %d", errNotYet, got)
		}
		return nil
	})
}

// moreKeys files two keys straight through the registry, so the list shows
// several statuses: one active and used, one awaiting approval.
func moreKeys(t *testing.T, h *harness) {
	t.Helper()
	ctx := context.Background()
	alice, bob, carol := h.admins["alice"].ID, h.admins["bob"].ID, h.admins["carol"].ID
	_, req, err := h.reg.FileCreate(ctx, bob, "Northwind Tax Advisors", []int64{3})
	if err == nil {
		_, _, err = h.reg.Approve(ctx, alice, req.ID)
	}
	if err == nil {
		_, _, err = h.reg.Approve(ctx, carol, req.ID)
	}
	if err == nil {
		_, _, err = h.reg.Reveal(ctx, bob, req.KeyID)
	}
	if err == nil {
		err = h.reg.RecordUsage(ctx, map[string]registry.UsageDelta{req.KeyID: {Count: 87, Last: time.Now()}})
	}
	if err == nil {
		_, _, err = h.reg.FileCreate(ctx, carol, "Q4 fund administration", []int64{4, 5})
	}
	if err != nil {
		t.Fatal(err)
	}
}

type response struct {
	url     string
	headers map[string]string
}

func responseOf(ev any) (response, bool) {
	e, ok := ev.(*network.EventResponseReceived)
	if !ok || e.Response == nil || e.Type != network.ResourceTypeDocument {
		return response{}, false
	}
	h := map[string]string{}
	for k, v := range e.Response.Headers {
		s, _ := v.(string)
		h[strings.ToLower(k)] = s
	}
	return response{url: e.Response.URL, headers: h}, true
}
