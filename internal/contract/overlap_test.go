package contract_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"reportgate/internal/contract"
)

// TestOneOfOverlaps searches the whole description for oneOfs whose
// alternatives overlap: for each alternative it builds sample values (each
// enum value, null, empty and one-item arrays, objects with their required
// properties and with all of them) and counts the alternatives that accept
// each. A value two alternatives accept makes a correct answer fail a
// strict oneOf, so every such oneOf must be one the generator rewrote to
// anyOf (scripts/gen-openapi.py, ONEOF_TO_ANYOF), and every rewrite must
// still be needed.
func TestOneOfOverlaps(t *testing.T) {
	t.Parallel()
	doc, err := contract.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	meta, err := contract.SpecMeta()
	if err != nil {
		t.Fatal(err)
	}
	rewritten := map[string]bool{}
	for _, c := range meta.Changes {
		if c.Change == contract.Rewritten {
			rewritten[c.Pointer] = true
		}
	}
	found := 0
	for _, s := range xofSites(doc) {
		switch witness, overlaps := overlap(s.alts); {
		case s.oneOf && overlaps:
			t.Errorf("%s: oneOf alternatives overlap: %s; add it to ONEOF_TO_ANYOF in scripts/gen-openapi.py and docs/contract.md", s.pointer, witness)
		case !s.oneOf && rewritten[s.pointer] && !overlaps:
			t.Errorf("%s: rewritten to anyOf, but no overlap is found any more: remove it from ONEOF_TO_ANYOF", s.pointer)
		case !s.oneOf && rewritten[s.pointer]:
			found++
			t.Logf("%s: %s", s.pointer, witness)
		}
	}
	if found != len(rewritten) {
		t.Errorf("%d rewrites listed, %d found at their pointers", len(rewritten), found)
	}
}

// site is a schema with a oneOf (or an anyOf) and where it is.
type site struct {
	pointer string
	oneOf   bool
	alts    openapi3.SchemaRefs
}

// xofSites walks every schema of doc: the components' and those inline in
// operations. A $ref is not followed (its target is walked where it is
// defined), so each site is found once.
func xofSites(doc *openapi3.T) []site {
	var out []site
	for _, name := range sorted(doc.Components.Schemas) {
		walkSchema(doc.Components.Schemas[name], "#/components/schemas/"+esc(name), &out)
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			base := "#/paths/" + esc(path) + "/" + strings.ToLower(method)
			for i, p := range op.Parameters {
				walkSchema(p.Value.Schema, fmt.Sprintf("%s/parameters/%d/schema", base, i), &out)
			}
			if rb := op.RequestBody; rb != nil && rb.Value != nil {
				for mt, c := range rb.Value.Content {
					walkSchema(c.Schema, base+"/requestBody/content/"+esc(mt)+"/schema", &out)
				}
			}
			for code, r := range op.Responses.Map() {
				for mt, c := range r.Value.Content {
					walkSchema(c.Schema, base+"/responses/"+code+"/content/"+esc(mt)+"/schema", &out)
				}
			}
		}
	}
	return out
}

func walkSchema(ref *openapi3.SchemaRef, ptr string, out *[]site) {
	if ref == nil || ref.Ref != "" || ref.Value == nil {
		return
	}
	s := ref.Value
	if len(s.OneOf) > 0 {
		*out = append(*out, site{ptr, true, s.OneOf})
	}
	if len(s.AnyOf) > 0 {
		*out = append(*out, site{ptr, false, s.AnyOf})
	}
	for _, name := range sorted(s.Properties) {
		walkSchema(s.Properties[name], ptr+"/properties/"+esc(name), out)
	}
	walkSchema(s.Items, ptr+"/items", out)
	walkSchema(s.AdditionalProperties.Schema, ptr+"/additionalProperties", out)
	walkSchema(s.Not, ptr+"/not", out)
	for kw, list := range map[string]openapi3.SchemaRefs{"oneOf": s.OneOf, "anyOf": s.AnyOf, "allOf": s.AllOf} {
		for i, x := range list {
			walkSchema(x, fmt.Sprintf("%s/%s/%d", ptr, kw, i), out)
		}
	}
}

// overlap returns a value two alternatives accept, and which.
func overlap(alts openapi3.SchemaRefs) (string, bool) {
	for _, alt := range alts {
		for _, v := range samples(alt, 0) {
			var accept []int
			for j, other := range alts {
				if other.Value.VisitJSON(v) == nil {
					accept = append(accept, j)
				}
			}
			if len(accept) > 1 {
				raw, _ := json.Marshal(v)
				return fmt.Sprintf("%s is accepted by alternatives %v", raw, accept), true
			}
		}
	}
	return "", false
}

// maxDepth bounds the nesting of sample values (the schemas are recursive:
// a stake's creator is a User, a Transaction has labels …).
const maxDepth = 6

// samples returns values meant to satisfy ref: null when it is nullable,
// each enum value, and per type a few shapes. Not every sample need be
// valid: overlap only counts values two alternatives accept.
func samples(ref *openapi3.SchemaRef, depth int) []any {
	if ref == nil || ref.Value == nil || depth > maxDepth {
		return []any{"x"}
	}
	s := ref.Value
	var out []any
	if s.Nullable {
		out = append(out, nil)
	}
	for _, e := range s.Enum {
		if e != nil {
			out = append(out, e)
		}
	}
	for _, list := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
		for _, alt := range list {
			out = append(out, samples(alt, depth+1)...)
		}
	}
	if len(s.Enum) > 0 || len(s.AllOf) > 0 {
		return out
	}
	return append(out, byType(s, depth)...)
}

func byType(s *openapi3.Schema, depth int) []any {
	switch {
	case s.Type.Is(openapi3.TypeObject) || len(s.Properties) > 0:
		return objects(s, depth)
	case s.Type.Is(openapi3.TypeArray):
		return []any{[]any{}, []any{first(s.Items, depth)}}
	case s.Type.Is(openapi3.TypeInteger):
		return []any{1.0}
	case s.Type.Is(openapi3.TypeNumber):
		return []any{1.5}
	case s.Type.Is(openapi3.TypeBoolean):
		return []any{true}
	case s.Format == "date-time":
		return []any{"2024-01-01T00:00:00Z"}
	case s.Format == "date":
		return []any{"2024-01-01"}
	case s.Pattern != "":
		return []any{"1", "a.b.c"}
	}
	return []any{"x"}
}

// objects are the object with its required properties only, and with all.
func objects(s *openapi3.Schema, depth int) []any {
	minimal, full := map[string]any{}, map[string]any{}
	for name, p := range s.Properties {
		v := first(p, depth)
		full[name] = v
		if slices.Contains(s.Required, name) {
			minimal[name] = v
		}
	}
	return []any{minimal, full}
}

// first is ref's first sample that is not null.
func first(ref *openapi3.SchemaRef, depth int) any {
	for _, v := range samples(ref, depth+1) {
		if v != nil {
			return v
		}
	}
	return nil
}

func esc(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func sorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
