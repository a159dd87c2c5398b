package notify

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// Regression (issue 13, item 7, partner side): encoding/json read
// {"all":{"webhook":{"url":"https://a","URL":"https://b"}}} as the second
// URL, and a duplicated "secret" as the last one, so the configuration a
// partner's tooling logged was not the one stored. Names must be spelled as
// the upstream documents them, once each.
func TestConfigurationBodyNamesAreExact(t *testing.T) {
	t.Parallel()
	c := NewConfigurations(nil, false, nil)
	const secret = `"secret":"0123456789abcdef"`
	tests := []struct{ name, body, msg string }{
		{"url twice", `{"all":{"webhook":{"url":"https://a.example","url":"https://b.example",` + secret + `}}}`,
			`field "all.webhook.url" appears twice`},
		{"URL variant", `{"all":{"webhook":{"url":"https://a.example","URL":"https://b.example",` + secret + `}}}`,
			`field "all.webhook.URL": names are case-sensitive; did you mean "url"?`},
		{"secret twice", `{"all":{"webhook":{"url":"https://a.example",` + secret + `,` + secret + `}}}`,
			`field "all.webhook.secret" appears twice`},
		{"All variant", `{"All":{"webhook":null}}`, `did you mean "all"?`},
		{"all twice", `{"all":{"webhook":null},"all":{"webhook":{"url":"https://a.example",` + secret + `}}}`,
			`field "all" appears twice`},
	}
	for _, tt := range tests {
		_, err := c.parse([]byte(tt.body))
		var r *refusal
		if !errors.As(err, &r) || r.status != 400 || !strings.Contains(r.msg, tt.msg) {
			t.Errorf("%s: %v, want 400 containing %q", tt.name, err, tt.msg)
		}
	}
	w, err := c.parse([]byte(`{"all":{"webhook":{"url":"https://a.example",` + secret + `}}}`))
	if err != nil || w == nil || w.URL != "https://a.example" {
		t.Fatalf("documented body: %+v, %v", w, err)
	}
}

// TestConfigurationAnswersTheSchema (issue 17, item 1): the spec's Webhook
// requires a secret, so every configuration answered carries one — the
// fixed mask, never the secret, which stays write-only; a PUT of the mask
// itself (a configuration read back and sent again) is refused and leaves
// the stored secret as it was.
func TestConfigurationAnswersTheSchema(t *testing.T) {
	t.Parallel()
	reg, _ := newQueue(t)
	c := NewConfigurations(reg, true, nil)
	ctx := context.Background()
	const secret, keyID = "partner-webhook-secret-0123", "key_000000000000aaaaaaaaaaaa"
	put := func(body string) (int, string) {
		status, resp := c.ServeLocal(ctx, keyID, http.MethodPut, []byte(body))
		return status, string(resp)
	}
	want := `{"all":{"webhook":{"secret":"********","url":"http://127.0.0.1:9/hook"}}}`
	if status, body := put(`{"all":{"webhook":{"url":"http://127.0.0.1:9/hook","secret":"` + secret + `"}}}`); status != 200 || body != want {
		t.Fatalf("PUT: %d %s, want 200 %s", status, body, want)
	}
	if status, body := c.ServeLocal(ctx, keyID, http.MethodGet, nil); status != 200 || string(body) != want {
		t.Fatalf("GET: %d %s, want 200 %s", status, body, want)
	}
	status, body := put(`{"all":{"webhook":{"url":"http://127.0.0.1:8/other","secret":"` + SecretMask + `"}}}`)
	if status != 400 || !strings.Contains(body, "the mask") || !strings.Contains(body, `"status_code":400`) {
		t.Errorf("PUT of the mask: %d %s, want 400 naming the mask", status, body)
	}
	hooks, err := reg.Webhooks(ctx)
	if w := hooks[keyID]; err != nil || w.Secret != secret || w.URL != "http://127.0.0.1:9/hook" {
		t.Errorf("after the refused PUT: %+v %v, want the configuration as it was", hooks[keyID], err)
	}
	if status, body := put(`{"all":{"webhook":null}}`); status != 200 || body != `{"all":{"webhook":null}}` {
		t.Errorf("PUT of no webhook: %d %s", status, body)
	}
}
