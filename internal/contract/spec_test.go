package contract_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"reportgate/internal/contract"
)

// referenceSpec is the reference spec beside the checkout (a clean clone
// in CI has shared/ beside it; a developer's worktree may not).
const referenceSpec = "../../../shared/reference/ledger-vault-openapi.yml"

// TestSpecIsUpToDate checks that openapi.json was generated from the
// reference spec beside the checkout, and, when python3 with PyYAML is
// there, that the generator gives the same bytes today (so an edit of
// scripts/gen-openapi.py was regenerated too).
func TestSpecIsUpToDate(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(referenceSpec)
	if err != nil {
		t.Skipf("the reference spec is not beside the checkout (%v): openapi.json cannot be compared with it", err)
	}
	meta, err := contract.SpecMeta()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != meta.SpecSHA256 {
		t.Fatalf("openapi.json was generated from spec %s, the reference is %s: run make contract-spec", meta.SpecSHA256, got)
	}
	if err := exec.Command("python3", "-c", "import yaml").Run(); err != nil {
		t.Logf("python3 with PyYAML is not here (%v): compared the spec's digest only", err)
		return
	}
	out := filepath.Join(t.TempDir(), "openapi.json")
	if msg, err := exec.Command("python3", "../../scripts/gen-openapi.py", referenceSpec, out).CombinedOutput(); err != nil {
		t.Fatalf("gen-openapi.py: %v: %s", err, msg)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if committed, _ := os.ReadFile("openapi.json"); !bytes.Equal(fresh, committed) {
		t.Errorf("openapi.json differs from what scripts/gen-openapi.py makes now: run make contract-spec")
	}
}

// TestSpecHasNoProse checks the generated file keeps none of the spec's
// prose: no description, summary, example or title keyword anywhere
// (properties may be named so), and empty response descriptions.
func TestSpecHasNoProse(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	meta, err := contract.SpecMeta()
	if err != nil {
		t.Fatal(err)
	}
	delete(doc, "x-reportgate") // the generator's own record
	var found []string
	walkKeywords(doc, "", "#", func(ptr, key string, v any) {
		prose := false
		for _, r := range meta.Removed {
			prose = prose || key == r
		}
		if prose && !(key == "description" && v == "") && ptr != "#/info/title" {
			found = append(found, ptr)
		}
	})
	if len(found) > 0 {
		t.Errorf("prose left in openapi.json at %d places, e.g. %v", len(found), found[:min(5, len(found))])
	}
}

// nameMaps are objects whose keys are names, not keywords.
var nameMaps = map[string]bool{"properties": true, "paths": true, "schemas": true, "securitySchemes": true,
	"responses": true, "content": true, "headers": true, "encoding": true}

// walkKeywords calls fn for every keyword (a key that is not a name) with
// its pointer; enum and default values are data and are not entered.
func walkKeywords(node any, parent, ptr string, fn func(ptr, key string, v any)) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			p := ptr + "/" + esc(k)
			if !nameMaps[parent] {
				fn(p, k, v)
				if k == "enum" || k == "default" {
					continue
				}
			}
			walkKeywords(v, k, p, fn)
		}
	case []any:
		for _, v := range n {
			walkKeywords(v, parent, ptr+"/*", fn)
		}
	}
}
