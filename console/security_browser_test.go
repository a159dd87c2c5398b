package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleRefusals plays, in the browser, what the console must refuse or
// contain: a form posted without its CSRF token, a hostile key name, a
// session past its idle timeout, the session of a disabled admin, and a
// signed-out session.
func TestConsoleRefusals(t *testing.T) {
	h := newHarness(t)
	alice, bob, carol := h.tab("alice"), h.tab("bob"), h.tab("carol")
	alice.signIn()
	bob.signIn()
	carol.signIn()

	// A form whose CSRF token was removed, or replaced, is refused and
	// changes nothing.
	for _, tamper := range []string{
		`document.querySelector('main input[name=csrf]').remove()`,
		`document.querySelector('main input[name=csrf]').value = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'`,
	} {
		alice.open("/keys/new/review?name=Sneaky&entity=1", "review")
		alice.do(chromedp.Evaluate[chromedp.Void](tamper))
		alice.submit(`main form[method=post] button[type=submit]`, "problem")
		alice.wantText("This form has expired", "Nothing was changed")
	}
	alice.shot("22-form-refused")
	if page, _ := h.reg.ListKeys(context.Background(), "", 0); len(page.Items) != 0 {
		t.Fatalf("a form without its CSRF token filed %d key(s)", len(page.Items))
	}

	// An entity the upstream does not list (typed into the address) is
	// refused at the review, before anything is filed.
	alice.open("/keys/new/review?name=Ghost&entity=1&entity=999", "create")
	alice.wantText("Entity 999 is not an entity of this workspace")

	// A hostile name is text everywhere: no script runs, no element appears.
	hostile := `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`
	keyID := createKey(t, alice, hostile, "Payroll")
	for _, tb := range []*tab{alice, bob} {
		for _, path := range []string{"/keys/" + keyID, "/keys", "/requests", "/audit"} {
			tb.open(path, pageOf(path))
			tb.wantText(hostile)
			pwned := run(tb, chromedp.Evaluate[bool](`window.__pwned !== undefined || document.querySelector('img[src=x]') !== null || document.scripts.length !== 1`))
			if pwned {
				t.Fatalf("%s on %s: the hostile name became markup", tb.name, path)
			}
		}
	}
	bob.open("/requests", "requests")
	bob.shot("23-hostile-name-as-text")

	// Its requester withdraws it: closed, nothing created.
	alice.open("/requests", "requests")
	alice.submit(`a[href$="/abort"]`, "confirm")
	alice.wantText("Withdraw your request")
	alice.submit(`main form button[type=submit]`, "request")
	alice.wantText("Your request is withdrawn", "Withdrawn")

	// Signing out ends the session on the server, not only in the browser.
	bob.submit(`form[action="/signout"] button`, "signin")
	bob.wantText("You are signed out")
	bob.open("/keys", "signin")

	// The session of a disabled admin ends at its next request.
	if _, err := h.reg.DisableAdmin(context.Background(), h.admins["carol"].ID); err != nil {
		t.Fatal(err)
	}
	carol.open("/requests", "signin")
	carol.wantText("Your session ended")

	// A session idle past --console-session-idle lands on the sign-in page.
	alice.open("/keys", "keys")
	h.clock.Advance(31 * time.Minute)
	alice.open("/keys/"+keyID, "signin")
	alice.wantText("Your session ended")
	alice.shot("24-session-ended")
	if strings.Contains(run(alice, chromedp.Location()), keyID) {
		t.Fatal("the sign-in page kept the address of the page asked for")
	}
}
