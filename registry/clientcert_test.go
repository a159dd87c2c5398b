package registry

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
)

func TestParseCertFingerprint(t *testing.T) {
	t.Parallel()
	sum := CertFingerprint(sha256.Sum256([]byte("a certificate")))
	hexForm := sum.String()
	var colons []string
	for i := 0; i < len(hexForm); i += 2 {
		colons = append(colons, strings.ToUpper(hexForm[i:i+2]))
	}
	for _, ok := range []string{hexForm, strings.ToUpper(hexForm), strings.Join(colons, ":")} {
		if got, err := ParseCertFingerprint(ok); err != nil || got != sum {
			t.Errorf("ParseCertFingerprint(%q) = %x, %v; want %x", ok, got, err, sum)
		}
	}
	for _, bad := range []string{"", "none", hexForm[:62], hexForm + "00", "zz" + hexForm[2:],
		strings.Join(colons[1:], ":"), strings.Join(colons, "-"), ":" + hexForm[1:],
		strings.Repeat("0", 64), " " + hexForm} {
		if _, err := ParseCertFingerprint(bad); !errorsIsInvalid(err) {
			t.Errorf("ParseCertFingerprint(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// A key bound to a client certificate at creation, rebound and unbound by
// edits: each through the quorum, shown in the diff, kept in the record the
// proxy reads, and in the audit's before and after.
func TestClientCertBindingGoesThroughQuorum(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 3)
	ctx := context.Background()
	first := CertFingerprint(sha256.Sum256([]byte("first")))
	second := CertFingerprint(sha256.Sum256([]byte("second")))

	k, req := must2(e.reg.FileCreateKey(ctx, e.id(0), NewKey{Name: "bound", Entities: []int64{1}, ClientCert: first}))(t)
	if k.ClientCert != first || req.After.ClientCert != first.String() {
		t.Fatalf("created %x with diff %+v, want bound to %x", k.ClientCert, req.After, first)
	}
	e.approveAll(req.ID)
	k, secret := must2(e.reg.Reveal(ctx, e.id(0), k.ID))(t)
	if got := must(e.reg.KeyByHash(ctx, KeyHash([]byte(secret))))(t); got.ClientCert != first {
		t.Fatalf("KeyByHash: bound to %x, want %x", got.ClientCert, first)
	}

	_, req = must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{ClientCert: &second}))(t)
	if req.Before.ClientCert != first.String() || req.After.ClientCert != second.String() || req.After.RateLimit != "" {
		t.Fatalf("rebinding diff %+v → %+v", req.Before, req.After)
	}
	_, k = must2(e.reg.Approve(ctx, e.id(1), req.ID))(t)
	if k.ClientCert != first {
		t.Fatal("the binding changed before the quorum")
	}
	if _, k = e.approveAll(req.ID); k.ClientCert != second {
		t.Fatalf("after approval: bound to %x, want %x", k.ClientCert, second)
	}
	_, _, err := e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{ClientCert: &second})
	wantErr(t, "an edit to the same certificate", err, ErrInvalid)

	// A name-only edit keeps the binding and does not show it.
	_, req = must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{Name: "renamed"}))(t)
	if req.After.ClientCert != "" {
		t.Errorf("a name-only edit shows a certificate: %+v", req.After)
	}
	if _, k = e.approveAll(req.ID); k.ClientCert != second {
		t.Fatal("a name-only edit changed the binding")
	}

	_, req = must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{ClientCert: &CertFingerprint{}}))(t)
	if req.Before.ClientCert != second.String() || req.After.ClientCert != NoClientCert {
		t.Fatalf("unbinding diff %+v → %+v", req.Before, req.After)
	}
	if _, k = e.approveAll(req.ID); !k.ClientCert.IsZero() {
		t.Fatalf("after unbinding: %x", k.ClientCert)
	}
	_, _, err = e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{ClientCert: &CertFingerprint{}})
	wantErr(t, "unbinding an unbound key", err, ErrInvalid)
	auditShowsBinding(t, e, second)
}

// auditShowsBinding checks that the audit entry that unbound the key shows
// the certificate before and none after, and that the chain holds.
func auditShowsBinding(t *testing.T, e *env, was CertFingerprint) {
	t.Helper()
	ctx := context.Background()
	page := must(e.reg.Audit(ctx, "", MaxPageSize))(t)
	last := page.Items[len(page.Items)-1]
	type side struct {
		Key map[string]any `json:"key"`
	}
	var before, after side
	if err := json.Unmarshal(last.Before, &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(last.After, &after); err != nil {
		t.Fatal(err)
	}
	if before.Key["client_cert_sha256"] != was.String() || after.Key["client_cert_sha256"] != nil {
		t.Errorf("audit %s: before %s, after %s; want the certificate, then none", last.Action, last.Before, last.After)
	}
	if v := must(e.reg.VerifyAudit(ctx))(t); !v.OK {
		t.Errorf("chain broken: %+v", v.Broken)
	}
}
