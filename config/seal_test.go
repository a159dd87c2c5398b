package config

import (
	"errors"
	"strings"
	"testing"

	"reportgate/internal/seal"
)

func genKey(t *testing.T, id string) string {
	t.Helper()
	k, err := seal.Generate(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestWebhookSealKeys(t *testing.T) {
	t.Parallel()
	k1, k2, k3 := genKey(t, "k1"), genKey(t, "k2"), genKey(t, "k3")
	_, material, _ := strings.Cut(k1, ":")
	tests := []struct {
		name          string
		key, previous string
		approver      bool
		flag          string // "" = valid
		current       string // the keyring's current id when valid; "" = no keyring
	}{
		{"none", "", "", false, "", ""},
		{"current only", k1, "", false, "", "k1"},
		{"current and previous", k2, k1 + ", " + k3 + ",", false, "", "k2"},
		{"approver webhook needs a seal key", "", "", true, "webhook-seal-key", ""},
		{"approver webhook with a seal key", k1, "", true, "", "k1"},
		{"previous without current", "", k1, false, "webhook-seal-key", ""},
		{"short key", "k1:" + material[:20], "", false, "webhook-seal-key", ""},
		{"no id", material, "", false, "webhook-seal-key", ""},
		{"bad previous", k2, "k1:" + material[:10], false, "webhook-seal-previous-keys", ""},
		{"one id twice", k1, strings.Replace(k2, "k2:", "k1:", 1), false, "webhook-seal-previous-keys", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			c.WebhookSealKey, c.WebhookSealPreviousKeys = tt.key, tt.previous
			if tt.approver {
				c.ApproverWebhookURL, c.ApproverWebhookSecret = "https://approvers.example.com/hook", "approver-secret-0123"
			}
			err := c.Validate()
			if tt.flag == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				if got := ""; c.Seal != nil {
					got = c.Seal.CurrentID()
					if got != tt.current {
						t.Fatalf("current key %q, want %q", got, tt.current)
					}
				} else if tt.current != "" {
					t.Fatal("no keyring derived")
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Flag != tt.flag {
				t.Fatalf("Validate() = %v, want one problem for --%s", err, tt.flag)
			}
			for _, k := range []string{k1, k2, k3} {
				_, m, _ := strings.Cut(k, ":")
				if strings.Contains(err.Error(), m[:12]) {
					t.Fatalf("the problem quotes a key: %v", err)
				}
			}
		})
	}
}

func TestWebhookSealKeyFromVariable(t *testing.T) {
	t.Parallel()
	k1, k2 := genKey(t, "k1"), genKey(t, "k2")
	c, err := parse(t, nil, map[string]string{
		"REPORTGATE_WEBHOOK_SEAL_KEY": k2, "REPORTGATE_WEBHOOK_SEAL_PREVIOUS_KEYS": k1,
		"REPORTGATE_UPSTREAM_URL": "http://127.0.0.1:5055", "REPORTGATE_UPSTREAM_API_USER": "op",
		"REPORTGATE_REDIS_URL": "redis://127.0.0.1:6379/0", "REPORTGATE_WORKSPACE": "acme",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.Seal == nil || c.Seal.CurrentID() != "k2" {
		t.Fatalf("Validate() = %v, keyring %v", err, c.Seal)
	}
	sealed, err := seal.NewKeyring(mustParse(t, k1))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := sealed.Seal([]byte("x"), nil)
	if p, err := c.Seal.Open(v, nil); err != nil || string(p) != "x" {
		t.Fatalf("the previous key from the variable does not open: %v", err)
	}
}

func mustParse(t *testing.T, s string) seal.Key {
	t.Helper()
	k, err := seal.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
