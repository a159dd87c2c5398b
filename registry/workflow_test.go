package registry

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCreateApproveRevealWorkflow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 4)
	ctx := context.Background()

	k, req, err := e.reg.FileCreate(ctx, e.id(0), "  Auditor 2026 ", []int64{3, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if k.Status != StatusPendingApproval || k.Name != "Auditor 2026" || !slices.Equal(k.Entities, []int64{1, 2, 3}) ||
		k.Generation != 1 || k.PendingRequest != req.ID || k.CreatedBy != e.id(0) || k.DisplayPrefix != "" {
		t.Fatalf("filed key = %+v", k)
	}
	wantExpiry := e.clock.Now().Add(24 * time.Hour)
	if req.Kind != KindCreate || req.Status != RequestPending || req.Quorum != 2 || !req.ExpiresAt.Equal(wantExpiry) ||
		req.After.Name != "Auditor 2026" || !slices.Equal(req.After.Entities, []int64{1, 2, 3}) {
		t.Fatalf("filed request = %+v", req)
	}

	_, _, err = e.reg.Approve(ctx, e.id(0), req.ID)
	wantErr(t, "self-approval", err, ErrForbidden)
	_, _, err = e.reg.Reveal(ctx, e.id(0), k.ID)
	wantErr(t, "reveal before approval", err, ErrConflict)

	req, k = must2(e.reg.Approve(ctx, e.id(1), req.ID))(t)
	if req.Status != RequestPending || len(req.Approvals) != 1 || k.Generation != 1 {
		t.Fatalf("after one approval: request %+v, key generation %d", req, k.Generation)
	}
	req, _ = must2(e.reg.Approve(ctx, e.id(1), req.ID))(t) // repeated: counted once
	if len(req.Approvals) != 1 || req.Status != RequestPending {
		t.Fatalf("repeated approval counted: %+v", req)
	}
	req, k = must2(e.reg.Approve(ctx, e.id(2), req.ID))(t)
	if req.Status != RequestApproved || req.ClosedBy != e.id(2) || k.Status != StatusPendingSecret ||
		k.Generation != 2 || k.PendingRequest != "" {
		t.Fatalf("after quorum: request %+v, key %+v", req, k)
	}
	_, _, err = e.reg.Approve(ctx, e.id(3), req.ID)
	wantErr(t, "vote on a closed request", err, ErrConflict)

	_, _, err = e.reg.Reveal(ctx, e.id(1), k.ID)
	wantErr(t, "reveal by another admin", err, ErrForbidden)
	k, secret, err := e.reg.Reveal(ctx, e.id(0), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !CheckKeyFormat([]byte(secret)) || k.Status != StatusActive || k.DisplayPrefix != secret[:DisplayPrefixLen] ||
		k.Generation != 3 || k.RevealedAt.IsZero() {
		t.Fatalf("revealed key %+v (secret well-formed: %v)", k, CheckKeyFormat([]byte(secret)))
	}
	_, _, err = e.reg.Reveal(ctx, e.id(0), k.ID)
	wantErr(t, "second reveal", err, ErrGone)

	byHash := must(e.reg.KeyByHash(ctx, KeyHash([]byte(secret))))(t)
	byID := must(e.reg.Key(ctx, k.ID))(t)
	if byHash.ID != k.ID || byHash.Status != StatusActive || byID.Generation != 3 {
		t.Fatalf("KeyByHash = %+v, Key = %+v", byHash, byID)
	}
}

func TestSuspendUnsuspend(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	k, _ := e.activeKey("k", 1)
	gen := k.Generation

	k = must(e.reg.Suspend(ctx, e.id(1), k.ID))(t)
	if k.Status != StatusSuspended || k.Generation != gen+1 {
		t.Fatalf("suspended: %+v", k)
	}
	_, err := e.reg.Suspend(ctx, e.id(1), k.ID)
	wantErr(t, "suspend twice", err, ErrConflict)
	k = must(e.reg.Unsuspend(ctx, e.id(0), k.ID))(t)
	if k.Status != StatusActive || k.Generation != gen+2 {
		t.Fatalf("unsuspended: %+v", k)
	}
	_, err = e.reg.Unsuspend(ctx, e.id(0), k.ID)
	wantErr(t, "unsuspend an active key", err, ErrConflict)

	pending, _, _ := e.reg.FileCreate(ctx, e.id(0), "not revealed", []int64{1})
	_, err = e.reg.Suspend(ctx, e.id(1), pending.ID)
	wantErr(t, "suspend a key awaiting approval", err, ErrConflict)
}

func TestOneRejectionRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 4)
	ctx := context.Background()
	k, req := must2(e.reg.FileCreate(ctx, e.id(0), "k", []int64{1}))(t)
	must2(e.reg.Approve(ctx, e.id(1), req.ID))(t)

	_, _, err := e.reg.Reject(ctx, e.id(0), req.ID)
	wantErr(t, "requester rejects", err, ErrForbidden)
	req, k = must2(e.reg.Reject(ctx, e.id(2), req.ID))(t)
	if req.Status != RequestRejected || len(req.Rejections) != 1 || k.Status != StatusAborted || k.PendingRequest != "" {
		t.Fatalf("after rejection: request %+v, key %+v", req, k)
	}
	_, _, err = e.reg.Approve(ctx, e.id(3), req.ID)
	wantErr(t, "approve after rejection", err, ErrConflict)
	_, _, err = e.reg.Reveal(ctx, e.id(0), k.ID)
	wantErr(t, "reveal an aborted key", err, ErrConflict)
	_, _, err = e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{Name: "x"})
	wantErr(t, "edit an aborted key", err, ErrConflict)
}

func TestAbort(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 3)
	ctx := context.Background()
	_, req := must2(e.reg.FileCreate(ctx, e.id(0), "k", []int64{1}))(t)

	_, _, err := e.reg.Abort(ctx, e.id(1), req.ID)
	wantErr(t, "abort by another admin", err, ErrForbidden)
	req, k := must2(e.reg.Abort(ctx, e.id(0), req.ID))(t)
	if req.Status != RequestAborted || k.Status != StatusAborted {
		t.Fatalf("after abort: request %+v, key %+v", req, k)
	}
	_, _, err = e.reg.Abort(ctx, e.id(0), req.ID)
	wantErr(t, "abort twice", err, ErrConflict)
}

func TestQuorumUnreachable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 2) // the requester never counts: one eligible admin
	ctx := context.Background()
	_, _, err := e.reg.FileCreate(ctx, e.id(0), "k", []int64{1})
	wantErr(t, "quorum 2 with one other admin", err, ErrQuorumUnreachable)

	third, _ := must2(e.reg.CreateAdmin(ctx, "third"))(t)
	k, req := must2(e.reg.FileCreate(ctx, e.id(0), "k", []int64{1}))(t)
	must2(e.reg.Approve(ctx, e.id(1), req.ID))(t)
	must2(e.reg.Approve(ctx, third.ID, req.ID))(t)
	k, _ = must2(e.reg.Reveal(ctx, e.id(0), k.ID))(t)

	must(e.reg.DisableAdmin(ctx, third.ID))(t)
	_, _, err = e.reg.FileRevoke(ctx, e.id(0), k.ID)
	wantErr(t, "revocation after an admin was disabled", err, ErrQuorumUnreachable)
	_, _, err = e.reg.CreateAdmin(ctx, "Third")
	wantErr(t, "a new admin under a disabled admin's name", err, ErrConflict)
	if got := must(e.reg.Key(ctx, k.ID))(t); got.Status != StatusActive || got.PendingRequest != "" {
		t.Fatalf("refused request left state behind: %+v", got)
	}
}

func TestDisabledAdminCannotAct(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 3)
	ctx := context.Background()
	_, req := must2(e.reg.FileCreate(ctx, e.id(0), "k", []int64{1}))(t)
	a := must(e.reg.DisableAdmin(ctx, e.id(1)))(t)
	if a.Status != AdminDisabled || a.DisabledAt.IsZero() {
		t.Fatalf("disabled admin = %+v", a)
	}
	_, err := e.reg.DisableAdmin(ctx, e.id(1))
	wantErr(t, "disable twice", err, ErrConflict)
	_, _, err = e.reg.Approve(ctx, e.id(1), req.ID)
	wantErr(t, "vote by a disabled admin", err, ErrForbidden)
	_, _, err = e.reg.FileCreate(ctx, e.id(1), "k", []int64{1})
	wantErr(t, "request by a disabled admin", err, ErrForbidden)
	_, err = e.reg.AdminByToken(ctx, e.tokens[1])
	wantErr(t, "token of a disabled admin", err, ErrForbidden)
	got := must(e.reg.AdminByToken(ctx, e.tokens[2]))(t)
	if got.ID != e.id(2) {
		t.Fatalf("AdminByToken = %+v, want admin 2", got)
	}
	last := "x" // a different last character, so the checksum breaks
	if e.tokens[2][KeyLen-1] == 'x' {
		last = "y"
	}
	_, err = e.reg.AdminByToken(ctx, e.tokens[2][:KeyLen-1]+last)
	wantErr(t, "token with a bad checksum", err, ErrNotFound)
	other, _ := generateAdminToken()
	_, err = e.reg.AdminByToken(ctx, other)
	wantErr(t, "unknown well-formed token", err, ErrNotFound)
	admins := must(e.reg.ListAdmins(ctx))(t)
	if len(admins) != 3 {
		t.Fatalf("ListAdmins: %d admins, want 3", len(admins))
	}
}

func TestRevocationSuspendsUntilDecided(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 3)
	ctx := context.Background()
	k, secret := e.activeKey("k", 1)
	hash := KeyHash([]byte(secret))

	k, req := must2(e.reg.FileRevoke(ctx, e.id(1), k.ID))(t)
	if k.Status != StatusSuspended || k.PendingRequest != req.ID || req.Before.Status != StatusActive || req.After.Status != StatusRevoked {
		t.Fatalf("revocation filed: key %+v, request %+v", k, req)
	}
	_, err := e.reg.Unsuspend(ctx, e.id(2), k.ID)
	wantErr(t, "unsuspend during revocation", err, ErrConflict)
	_, _, err = e.reg.FileEdit(ctx, e.id(2), k.ID, Edit{Name: "other"})
	wantErr(t, "second pending request", err, ErrConflict)
	if got := must(e.reg.KeyByHash(ctx, hash))(t); got.Status != StatusSuspended {
		t.Fatalf("KeyByHash during revocation: %s", got.Status)
	}

	_, k = must2(e.reg.Reject(ctx, e.id(2), req.ID))(t)
	if k.Status != StatusActive || k.PendingRequest != "" {
		t.Fatalf("after rejection: %+v, want ACTIVE restored", k)
	}

	// A key suspended during its revocation stays suspended when it fails.
	_, req = must2(e.reg.FileRevoke(ctx, e.id(1), k.ID))(t)
	must(e.reg.Suspend(ctx, e.id(2), k.ID))(t)
	_, k = must2(e.reg.Abort(ctx, e.id(1), req.ID))(t)
	if k.Status != StatusSuspended {
		t.Fatalf("after abort of a revocation of a re-suspended key: %s, want SUSPENDED", k.Status)
	}

	_, req = must2(e.reg.FileRevoke(ctx, e.id(0), k.ID))(t)
	_, k = e.approveAll(req.ID)
	if k.Status != StatusRevoked {
		t.Fatalf("after approval: %s, want REVOKED", k.Status)
	}
	_, err = e.reg.Unsuspend(ctx, e.id(0), k.ID)
	wantErr(t, "unsuspend a revoked key", err, ErrConflict)
	_, _, err = e.reg.FileRevoke(ctx, e.id(0), k.ID)
	wantErr(t, "revoke a revoked key", err, ErrConflict)
	if got := must(e.reg.KeyByHash(ctx, hash))(t); got.Status != StatusRevoked {
		t.Fatalf("KeyByHash after revocation: %s", got.Status)
	}
}

func TestEditAppliedAtomicallyOnApproval(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 3)
	ctx := context.Background()
	k, _ := e.activeKey("before", 1, 2)
	gen := k.Generation

	_, _, err := e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{Name: "before", Entities: []int64{2, 1}})
	wantErr(t, "edit changing nothing", err, ErrInvalid)
	k, req := must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{Name: "after", Entities: []int64{9, 7}}))(t)
	if req.Before.Name != "before" || !slices.Equal(req.Before.Entities, []int64{1, 2}) ||
		req.After.Name != "after" || !slices.Equal(req.After.Entities, []int64{7, 9}) {
		t.Fatalf("diff = %+v → %+v", req.Before, req.After)
	}
	_, k = must2(e.reg.Approve(ctx, e.id(1), req.ID))(t)
	if k.Name != "before" || !slices.Equal(k.Entities, []int64{1, 2}) || k.Status != StatusActive {
		t.Fatalf("edit applied before quorum: %+v", k)
	}
	_, k = must2(e.reg.Approve(ctx, e.id(2), req.ID))(t)
	if k.Name != "after" || !slices.Equal(k.Entities, []int64{7, 9}) || k.Generation != gen+2 {
		t.Fatalf("after approval: %+v (generation %d, want %d: filing and applying)", k, k.Generation, gen+2)
	}

	// An edit of the name alone keeps the entities.
	_, req = must2(e.reg.FileEdit(ctx, e.id(1), k.ID, Edit{Name: "renamed"}))(t)
	_, k = must2(e.reg.Approve(ctx, e.id(0), req.ID))(t)
	_, k = must2(e.reg.Approve(ctx, e.id(2), req.ID))(t)
	if k.Name != "renamed" || !slices.Equal(k.Entities, []int64{7, 9}) {
		t.Fatalf("after a name-only edit: %+v", k)
	}
}

func TestInputValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	many := make([]int64, MaxEntities+1)
	for i := range many {
		many[i] = int64(i + 1)
	}
	tests := []struct {
		name     string
		keyName  string
		entities []int64
		want     string
	}{
		{"empty name", "  ", []int64{1}, "name: must not be empty"},
		{"control character", "a\nb", []int64{1}, "name: contains control"},
		{"long name", strings.Repeat("é", MaxNameLen+1), []int64{1}, "longer than"},
		{"invalid UTF-8", "a\xffb", []int64{1}, "UTF-8"},
		{"no entities", "k", nil, "entities: must not be empty"},
		{"zero entity", "k", []int64{0, 5}, "0 is not a positive"},
		{"negative entity", "k", []int64{-3}, "-3 is not a positive"},
		{"too many entities", "k", many, "at most 1000"},
	}
	for _, tt := range tests {
		_, _, err := e.reg.FileCreate(ctx, e.id(0), tt.keyName, tt.entities)
		if !errorsIsInvalid(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want ErrInvalid mentioning %q", tt.name, err, tt.want)
		}
	}
	for _, id := range []string{"", "key_x", "key_019ca9450a00Au4xmGbos{Gs", "req_019ca9450a00Au4xmGbosFGs"} {
		_, err := e.reg.Key(ctx, id)
		wantErr(t, "Key("+id+")", err, ErrNotFound)
	}
	_, err := e.reg.Key(ctx, "key_019ca9450a00Au4xmGbosFGs")
	wantErr(t, "unknown well-formed key", err, ErrNotFound)
	_, err = e.reg.ListKeys(ctx, "nonsense", 10)
	wantErr(t, "bad cursor", err, ErrInvalid)
	_, err = e.reg.ListKeys(ctx, "", MaxPageSize+1)
	wantErr(t, "big limit", err, ErrInvalid)
	_, err = e.reg.ListRequests(ctx, "OPEN", "", 10)
	wantErr(t, "bad status", err, ErrInvalid)
	_, _, err = e.reg.FileEdit(ctx, e.id(0), "key_019ca9450a00Au4xmGbosFGs", Edit{})
	wantErr(t, "empty edit", err, ErrInvalid)
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	var created []string
	for i := 0; i < 5; i++ {
		k, _ := must2(e.reg.FileCreate(ctx, e.id(0), "k", []int64{int64(i + 1)}))(t)
		created = append(created, k.ID)
		e.clock.Advance(time.Millisecond)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		page := must(e.reg.ListKeys(ctx, cursor, 2))(t)
		for _, k := range page.Items {
			got = append(got, k.ID)
		}
		if page.NextCursor == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		cursor = page.NextCursor
	}
	slices.Reverse(created)
	if !slices.Equal(got, created) {
		t.Fatalf("paged keys = %v, want newest first %v", got, created)
	}
	pending := must(e.reg.ListRequests(ctx, RequestPending, "", 0))(t)
	approved := must(e.reg.ListRequests(ctx, RequestApproved, "", 0))(t)
	all := must(e.reg.ListRequests(ctx, "", "", 0))(t)
	if len(pending.Items) != 5 || len(approved.Items) != 0 || len(all.Items) != 5 {
		t.Fatalf("requests: %d pending, %d approved, %d in all", len(pending.Items), len(approved.Items), len(all.Items))
	}
	must2(e.reg.Approve(ctx, e.id(1), pending.Items[0].ID))(t)
	approved = must(e.reg.ListRequests(ctx, RequestApproved, "", 0))(t)
	if len(approved.Items) != 1 || approved.Items[0].ID != pending.Items[0].ID {
		t.Fatalf("approved list = %+v", approved.Items)
	}
}
