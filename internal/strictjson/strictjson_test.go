package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

type webhook struct {
	URL    string  `json:"url"`
	Secret *string `json:"secret,omitempty"`
}

type body struct {
	Name     string  `json:"name"`
	Entities []int64 `json:"entities"`
	All      *struct {
		Webhook *webhook `json:"webhook"`
	} `json:"all"`
	Hooks   []webhook         `json:"hooks"`
	Labels  map[string]string `json:"labels"`
	Extra   any               `json:"extra"`
	Plain   int
	Skipped int `json:"-"`
	hidden  int //lint:ignore U1000 an unexported field is no JSON name: the test sends it
}

func TestCheckNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		want      *NameError // nil: accepted
	}{
		{"exact names", `{"name":"x","entities":[1,2],"Plain":3}`, nil},
		{"nested exact", `{"all":{"webhook":{"url":"u","secret":"s"}}}`, nil},
		{"null nested", `{"all":{"webhook":null}}`, nil},
		{"case variant", `{"name":"x","ENTITIES":[1]}`, &NameError{Name: "ENTITIES", Want: "entities"}},
		{"fold variant", `{"entitieſ":[1]}`, &NameError{Name: "entitieſ", Want: "entities"}},
		{"Go name is exact too", `{"plain":1}`, &NameError{Name: "plain", Want: "Plain"}},
		{"duplicate", `{"name":"x","name":"y"}`, &NameError{Name: "name", Duplicate: true}},
		{"escaped duplicate", `{"name":"x","n\u0061me":"y"}`, &NameError{Name: "name", Duplicate: true}},
		{"unknown", `{"scope":"all"}`, &NameError{Name: "scope"}},
		{"dash tag is no name", `{"Skipped":1}`, &NameError{Name: "Skipped"}},
		{"unexported is no name", `{"hidden":1}`, &NameError{Name: "hidden"}},
		{"nested case variant", `{"all":{"webhook":{"URL":"u"}}}`, &NameError{Path: "all.webhook", Name: "URL", Want: "url"}},
		{"nested duplicate", `{"all":{"webhook":{"url":"a","url":"b"}}}`, &NameError{Path: "all.webhook", Name: "url", Duplicate: true}},
		{"in an array", `{"hooks":[{"url":"a"},{"Url":"b"}]}`, &NameError{Path: "hooks", Name: "Url", Want: "url"}},
		{"map keys are free", `{"labels":{"A":"1","a":"2"}}`, nil},
		{"map keys do not repeat", `{"labels":{"a":"1","a":"2"}}`, &NameError{Path: "labels", Name: "a", Duplicate: true}},
		{"untyped values do not repeat", `{"extra":{"k":[{"z":1,"z":2}]}}`, &NameError{Path: "extra.k", Name: "z", Duplicate: true}},
		{"same name in two objects", `{"all":{"webhook":{"url":"a"}},"hooks":[{"url":"b"},{"url":"c"}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckNames([]byte(tt.doc), &body{})
			var ne *NameError
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("CheckNames = %v, want nil", err)
			case tt.want == nil:
				var b body
				if err := json.Unmarshal([]byte(tt.doc), &b); err != nil {
					t.Fatalf("accepted a document encoding/json refuses: %v", err)
				}
			case !errors.As(err, &ne):
				t.Fatalf("CheckNames = %v, want %+v", err, tt.want)
			case *ne != *tt.want:
				t.Fatalf("CheckNames = %+v, want %+v", *ne, *tt.want)
			}
		})
	}
}

func TestCheckNamesReasons(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  NameError
		want string
	}{
		{NameError{Name: "entities", Duplicate: true}, `field "entities" appears twice: give each field once`},
		{NameError{Path: "all.webhook", Name: "URL", Want: "url"}, `field "all.webhook.URL": names are case-sensitive; did you mean "url"?`},
		{NameError{Name: "scope"}, `unknown field "scope"`},
	} {
		if got := tt.err.Reason(); got != tt.want {
			t.Errorf("Reason() = %q, want %q", got, tt.want)
		}
	}
}

func TestCheckNamesMalformed(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{``, `{"name":`, `{"name" "x"}`, `[1,`, `{"name":1,}`} {
		if err := CheckNames([]byte(doc), &body{}); !errors.Is(err, ErrSyntax) {
			t.Errorf("CheckNames(%q) = %v, want ErrSyntax", doc, err)
		}
	}
}

// FuzzCheckNames: whatever the input, CheckNames answers nil, a
// *NameError or ErrSyntax, and never accepts a first value encoding/json
// cannot parse.
func FuzzCheckNames(f *testing.F) {
	for _, s := range []string{`{"name":"x","entities":[1]}`, `{"NAME":"x"}`, `{"all":{"webhook":{"url":"u"}}}`,
		`[{"a":1}]`, `{"extra":{"a":{"a":1}}}`, `{"a":1,}`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		err := CheckNames([]byte(doc), &body{})
		var ne *NameError
		switch {
		case err == nil:
			var v json.RawMessage
			if derr := json.NewDecoder(strings.NewReader(doc)).Decode(&v); derr != nil {
				t.Fatalf("CheckNames accepted %q, which does not parse: %v", doc, derr)
			}
		case !errors.As(err, &ne) && !errors.Is(err, ErrSyntax):
			t.Fatalf("CheckNames(%q) = %v: neither a NameError nor ErrSyntax", doc, err)
		}
	})
}
