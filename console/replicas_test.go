package console_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestSuspendShowsWhichReplicasConfirmed (issue 13.3): after a suspend, the
// key's page says which gateway replicas refuse the key now, in the same
// words as the API, read again from what the replica heard (the redirect
// carries only the action and the generation). A replica that is live but
// did not confirm is named, with what that means.
func TestSuspendShowsWhichReplicasConfirmed(t *testing.T) {
	t.Parallel()
	s := newServer(t, false)
	ctx := context.Background()
	alice, bob := adminID(t, s, "alice"), adminID(t, s, "bob")
	_, req, err := s.reg.FileCreate(ctx, alice, "Acme", []int64{1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.reg.Approve(ctx, bob, req.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.reg.Reveal(ctx, alice, req.KeyID); err != nil {
		t.Fatal(err)
	}
	c := s.client(t)
	if resp := s.post(t, c, "/signin", url.Values{"token": {s.token}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}

	page := s.act(t, c, req.KeyID, "suspend")
	if !strings.Contains(page, "Suspended. The only gateway replica refuses it now.") || strings.Contains(page, "flash-warn") {
		t.Errorf("key page after suspend lacks the confirmation:\n%s", flashOf(page))
	}

	rc := redis.NewClient(&redis.Options{Addr: s.redisAddr})
	t.Cleanup(func() { rc.Close() })
	if err := rc.ZAdd(ctx, s.reg.Prefix()+"replicas", redis.Z{Score: float64(time.Now().Add(time.Hour).UnixMilli()), Member: "gw-silent"}).Err(); err != nil {
		t.Fatal(err)
	}
	page = s.act(t, c, req.KeyID, "unsuspend")
	if !strings.Contains(page, "Unsuspended. 1 of 2 gateway replicas confirmed; replica gw-silent did not answer within 250 ms.") ||
		!strings.Contains(page, "flash-warn") || !strings.Contains(page, "it may still refuse this key") {
		t.Errorf("key page after an unconfirmed unsuspend:\n%s", flashOf(page))
	}

	// A link with another generation (or a made-up action) shows nothing
	// of the replicas.
	for _, q := range []string{"?done=unsuspend&gen=1", "?done=approve&gen=999"} {
		if p := s.get(t, c, "/keys/"+req.KeyID+q); strings.Contains(p, "gateway replica") {
			t.Errorf("%s shows a confirmation: %s", q, flashOf(p))
		}
	}
}

// act confirms an action on the key's confirmation page and returns the
// key page it leads to.
func (s *server) act(t *testing.T, c *http.Client, keyID, action string) string {
	t.Helper()
	form := s.get(t, c, "/keys/"+keyID+"/"+action)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("no csrf field on the %s page", action)
	}
	resp := s.post(t, c, "/keys/"+keyID+"/"+action, url.Values{"csrf": {html.UnescapeString(m[1])}}, nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/keys/"+keyID+"?done="+action+"&gen=") {
		t.Fatalf("%s: %d to %q, want 303 to the key page", action, resp.StatusCode, loc)
	}
	return s.get(t, c, loc)
}

func (s *server) get(t *testing.T, c *http.Client, path string) string {
	t.Helper()
	resp, err := c.Get(s.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return string(b)
}

func adminID(t *testing.T, s *server, name string) string {
	t.Helper()
	page, err := s.reg.ListAdmins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range page {
		if a.Name == name {
			return a.ID
		}
	}
	t.Fatalf("no admin %s", name)
	return ""
}

// flashOf is the part of a page around its flash, for failure messages.
func flashOf(page string) string {
	if i := strings.Index(page, `class="flash`); i >= 0 {
		return page[i:min(len(page), i+600)]
	}
	return "(no flash)"
}
