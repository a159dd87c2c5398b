package registry

import (
	"context"
	"strings"
	"testing"
)

// Regression (issue 13, item 2): an approval given by an admin who was
// disabled afterwards still counted, so alice files, dave approves, dave is
// disabled (he left, or his token leaked), carol approves, and the request
// was approved with one active approver. Disabling is what an operator does
// to take an admin's voice away: approvals count only while their admin is
// active, and a request that thereby lost its quorum stays pending.
func TestDisabledAdminsApprovalStopsCounting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 4)
	ctx := context.Background()
	alice, dave, carol, erin := e.id(0), e.id(1), e.id(2), e.id(3)
	k, req := must2(e.reg.FileCreate(ctx, alice, "k", []int64{1}))(t)
	must2(e.reg.Approve(ctx, dave, req.ID))(t)
	must(e.reg.DisableAdmin(ctx, dave))(t)
	req, k = must2(e.reg.Approve(ctx, carol, req.ID))(t)
	if req.Status != RequestPending || k.Status != StatusPendingApproval {
		t.Fatalf("after carol's approval: request %s, key %s; want PENDING, PENDING_APPROVAL (dave's approval no longer counts)", req.Status, k.Status)
	}
	wantVotes(t, "pending", req.Approvals, map[string]bool{dave: false, carol: true})
	req, k = must2(e.reg.Approve(ctx, erin, req.ID))(t)
	if req.Status != RequestApproved || k.Status != StatusPendingSecret || req.ClosedBy != erin {
		t.Fatalf("after erin's approval: request %s closed by %s, key %s; want APPROVED by erin, PENDING_SECRET", req.Status, req.ClosedBy, k.Status)
	}
	wantVotes(t, "approved", req.Approvals, map[string]bool{dave: false, carol: true, erin: true})

	// A closed request keeps its record: approvals that counted when it
	// closed still show as counted after their admin is disabled.
	must(e.reg.DisableAdmin(ctx, carol))(t)
	got := must(e.reg.Request(ctx, req.ID))(t)
	wantVotes(t, "closed, then carol disabled", got.Approvals, map[string]bool{dave: false, carol: true, erin: true})

	// The audit log says whose approvals a disabling withdrew.
	page := must(e.reg.Audit(ctx, "", 200))(t)
	var disables []string
	for _, a := range page.Items {
		if a.Action == "admin.disable" {
			disables = append(disables, string(a.After))
		}
	}
	if len(disables) != 2 || !strings.Contains(disables[0], `"approvals_withdrawn":["`+req.ID+`"]`) ||
		strings.Contains(disables[1], "approvals_withdrawn") {
		t.Errorf("admin.disable entries: %q; want dave's naming %s, carol's none (her request was closed)", disables, req.ID)
	}
	if v := must(e.reg.VerifyAudit(ctx))(t); !v.OK {
		t.Errorf("audit chain: %+v", v)
	}
}

// TestDisabledApprovalsOnEveryKind: edits and revocations follow the same
// rule (one script evaluates every quorum), and an approval stored before
// disabling marked anything (a request filed by an older version) is
// discounted when the quorum is evaluated all the same.
func TestDisabledApprovalsOnEveryKind(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 5)
	ctx := context.Background()
	k, _ := e.activeKey("k", 1) // approved by admins 1 and 2
	_, edit := must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{Entities: []int64{1, 2}}))(t)
	must2(e.reg.Approve(ctx, e.id(3), edit.ID))(t)
	must(e.reg.DisableAdmin(ctx, e.id(3)))(t)
	// As if the disable had not marked the approval: the vote itself must
	// not trust the stored counter.
	must(e.client.HDel(ctx, e.reg.key("req:"+edit.ID), "x:"+e.id(3)).Result())(t)
	must(e.client.HSet(ctx, e.reg.key("req:"+edit.ID), "approvals", 1).Result())(t)
	edit, k = must2(e.reg.Approve(ctx, e.id(4), edit.ID))(t)
	if edit.Status != RequestPending || len(k.Entities) != 1 {
		t.Fatalf("edit after a disabled approval and one active one: %s, entities %v; want PENDING, [1]", edit.Status, k.Entities)
	}
	wantVotes(t, "edit", edit.Approvals, map[string]bool{e.id(3): false, e.id(4): true})
	edit, k = must2(e.reg.Approve(ctx, e.id(1), edit.ID))(t)
	if edit.Status != RequestApproved || len(k.Entities) != 2 {
		t.Fatalf("edit with two active approvals: %s, entities %v", edit.Status, k.Entities)
	}

	_, rev := must2(e.reg.FileRevoke(ctx, e.id(0), k.ID))(t)
	must2(e.reg.Approve(ctx, e.id(4), rev.ID))(t)
	must(e.reg.DisableAdmin(ctx, e.id(4)))(t)
	rev, k = must2(e.reg.Approve(ctx, e.id(2), rev.ID))(t)
	if rev.Status != RequestPending || k.Status != StatusSuspended {
		t.Fatalf("revocation: %s, key %s; want PENDING, SUSPENDED", rev.Status, k.Status)
	}
	// Two eligible admins are left (0 is the requester, 3 and 4 are
	// disabled, 2 has approved): admin 1 completes it.
	rev, k = must2(e.reg.Approve(ctx, e.id(1), rev.ID))(t)
	if rev.Status != RequestApproved || k.Status != StatusRevoked {
		t.Fatalf("revocation: %s, key %s; want APPROVED, REVOKED", rev.Status, k.Status)
	}
}

// wantVotes checks the approvals are exactly want's admins, each counted or
// not as want says.
func wantVotes(t *testing.T, what string, votes []Vote, want map[string]bool) {
	t.Helper()
	if len(votes) != len(want) {
		t.Fatalf("%s: %d approvals %+v, want %d", what, len(votes), votes, len(want))
	}
	for _, v := range votes {
		counted, ok := want[v.AdminID]
		if !ok || v.Counted() != counted {
			t.Errorf("%s: approval by %s counted=%v, want listed=%v counted=%v", what, v.AdminID, v.Counted(), ok, counted)
		}
	}
}
