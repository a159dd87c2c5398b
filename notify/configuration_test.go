package notify

import (
	"errors"
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
