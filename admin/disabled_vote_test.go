package admin

import (
	"context"
	"strings"
	"testing"
)

// TestDisabledApproverShownNotCounted (issue 13, item 2) through the API:
// the request lists a disabled admin's approval with "counted": false and
// when it stopped counting, and stays PENDING until enough active admins
// approve.
func TestDisabledApproverShownNotCounted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2, 4)
	ctx := context.Background()
	alice, dave, carol, erin := f.clients[0], f.clients[1], f.clients[2], f.clients[3]
	filed := must(alice.CreateKey(ctx, "k", []int64{1}))(t)
	rid := filed.Request.ID
	must(dave.Decide(ctx, rid, "approve"))(t)
	must(f.reg.DisableAdmin(ctx, f.admins[1].ID))(t)
	got := must(carol.Decide(ctx, rid, "approve"))(t)
	if got.Request.Status != "PENDING" || got.Key.Status != "PENDING_APPROVAL" || got.Request.CountedApprovals() != 1 {
		t.Fatalf("after carol: %s, key %s, %d counted; want PENDING, PENDING_APPROVAL, 1", got.Request.Status, got.Key.Status, got.Request.CountedApprovals())
	}
	status, _, body := f.call("GET", "/v1/requests/"+rid, f.tokens[0], "")
	for _, want := range []string{
		`"admin_id":"` + f.admins[1].ID + `","admin_name":"admin B","at":`,
		`"counted":false,"discounted_at":"`,
		`"admin_id":"` + f.admins[2].ID + `","admin_name":"admin C","at":`,
	} {
		if status != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET request: %d %s lacks %s", status, body, want)
		}
	}
	if strings.Count(string(body), `"counted":true`) != 1 {
		t.Errorf("GET request: %s: want exactly carol's approval counted", body)
	}
	done := must(erin.Decide(ctx, rid, "approve"))(t)
	if done.Request.Status != "APPROVED" || done.Key.Status != "PENDING_SECRET" || done.Request.CountedApprovals() != 2 {
		t.Fatalf("after erin: %+v", done.Request)
	}
}
