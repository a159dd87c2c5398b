package registry

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// workflow runs a short history: 3 admins created, a key filed, approved,
// revealed, suspended and unsuspended (8 entries).
func (e *env) workflow() Key {
	e.t.Helper()
	k, _ := e.activeKey("k", 1, 2)
	must(e.reg.Suspend(context.Background(), e.id(1), k.ID))(e.t)
	return must(e.reg.Unsuspend(context.Background(), e.id(1), k.ID))(e.t)
}

func TestAuditChainVerifiesAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 3)
	e.workflow()
	ctx := context.Background()
	v := must(e.reg.VerifyAudit(ctx))(t)
	if !v.OK || v.Checked != 8 || v.HeadSeq != 8 || len(v.HeadHash) != 64 {
		t.Fatalf("VerifyAudit = %+v (%+v), want 8 verified entries", v, v.Broken)
	}
	var actions []string
	cursor := ""
	for {
		page := must(e.reg.Audit(ctx, cursor, 3))(t)
		for _, en := range page.Items {
			if en.Seq != uint64(len(actions)+1) {
				t.Fatalf("entry %d has seq %d", len(actions)+1, en.Seq)
			}
			actions = append(actions, en.Action)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	want := "admin.create admin.create admin.create request.create request.approve key.reveal key.suspend key.unsuspend"
	if got := strings.Join(actions, " "); got != want {
		t.Fatalf("actions %q, want %q", got, want)
	}
}

// rewrite replaces the whole stream with entries (in order), as someone with
// write access to Redis could.
func (e *env) rewrite(entries []map[string]any) {
	e.t.Helper()
	ctx := context.Background()
	stream := e.reg.key("audit")
	if err := e.client.Del(ctx, stream).Err(); err != nil {
		e.t.Fatal(err)
	}
	for i, values := range entries {
		err := e.client.XAdd(ctx, &redis.XAddArgs{Stream: stream, ID: fmt.Sprintf("%d-0", i+1), Values: values}).Err()
		if err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) entries() []map[string]any {
	msgs := must(e.client.XRange(context.Background(), e.reg.key("audit"), "-", "+").Result())(e.t)
	out := make([]map[string]any, len(msgs))
	for i, m := range msgs {
		out[i] = m.Values
	}
	return out
}

func TestAuditDetectsTampering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tamper  func(e *env, entries []map[string]any)
		wantSeq uint64
		reason  string
	}{
		{"edited entry", func(e *env, es []map[string]any) {
			es[3]["actor_name"] = "someone else"
			e.rewrite(es)
		}, 4, "altered"},
		{"edited entry with its hash recomputed", func(e *env, es []map[string]any) {
			es[3]["actor_name"] = "someone else"
			es[3]["hash"] = auditHash(stringValues(es[3]))
			e.rewrite(es)
		}, 5, "prev does not match"},
		{"removed entry", func(e *env, es []map[string]any) {
			e.rewrite(append(es[:4:4], es[5:]...))
		}, 5, "sequence number"},
		{"inserted entry", func(e *env, es []map[string]any) {
			forged := map[string]any{}
			for k, v := range es[4] {
				forged[k] = v
			}
			forged["action"] = "key.unsuspend"
			forged["hash"] = auditHash(stringValues(forged))
			e.rewrite(append(es[:5:5], append([]map[string]any{forged}, es[5:]...)...))
		}, 6, "sequence number"},
		{"reordered entries", func(e *env, es []map[string]any) {
			es[5], es[6] = es[6], es[5]
			e.rewrite(es)
		}, 6, "sequence number"},
		{"truncated tail", func(e *env, es []map[string]any) {
			e.rewrite(es[:6])
		}, 7, "tail was removed"},
		{"removed first entry", func(e *env, es []map[string]any) {
			e.rewrite(es[1:])
		}, 1, "sequence number"},
		{"head pointer deleted", func(e *env, es []map[string]any) {
			e.client.Del(context.Background(), e.reg.key("audit:head"))
		}, 1, "head pointer is missing"},
		{"extra field", func(e *env, es []map[string]any) {
			es[2]["note"] = "hello"
			e.rewrite(es)
		}, 3, "fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 1, 3)
			e.workflow()
			tt.tamper(e, e.entries())
			v := must(e.reg.VerifyAudit(context.Background()))(t)
			if v.OK || v.Broken == nil {
				t.Fatalf("VerifyAudit = %+v, want a broken chain", v)
			}
			if v.Broken.Seq != tt.wantSeq || !strings.Contains(v.Broken.Reason, tt.reason) {
				t.Fatalf("broken at %d (%q), want %d mentioning %q", v.Broken.Seq, v.Broken.Reason, tt.wantSeq, tt.reason)
			}
		})
	}
}

func TestAuditEmptyLogVerifies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 0)
	v := must(e.reg.VerifyAudit(context.Background()))(t)
	if !v.OK || v.Checked != 0 || v.HeadSeq != 0 {
		t.Fatalf("empty log: %+v", v)
	}
	_, err := e.reg.Audit(context.Background(), "bad", 10)
	wantErr(t, "bad audit cursor", err, ErrInvalid)
}

// The Lua implementation must agree with crypto/sha256 byte for byte, or no
// chain would ever verify.
func TestLuaSHA256MatchesGo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 0)
	src := must(luaFiles.ReadFile("lua/sha256.lua"))(t)
	script := redis.NewScript(string(src) + "\nreturn sha256hex(ARGV[1])")
	for n := 0; n < 300; n += 7 {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(i*31 + n)
		}
		got := must(script.Run(context.Background(), e.client, nil, msg).Text())(t)
		if want := KeyHash(msg); got != fmt.Sprintf("%x", want) {
			t.Fatalf("length %d: Lua %s, Go %x", n, got, want)
		}
	}
}
