package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	// The digest of the spec counts 85 operations: 74 GET, 10 POST, 1 PUT.
	counts := map[string]int{}
	for _, r := range d.Routes {
		counts[r.Method]++
	}
	if got, want := len(d.Routes), 85; got != want {
		t.Errorf("operations = %d, want %d", got, want)
	}
	if counts["GET"] != 74 || counts["POST"] != 10 || counts["PUT"] != 1 {
		t.Errorf("methods = %v, want GET 74, POST 10, PUT 1", counts)
	}
}

func TestArrayParamsOfScopeFilters(t *testing.T) {
	t.Parallel()
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/accounts": "entity", "/transactions": "account", "/whitelists": "account",
		"/digests": "account", "/messages": "account", "/entities": "account",
	}
	for _, r := range d.Routes {
		name, ok := want[r.Path]
		if !ok || r.Method != "GET" {
			continue
		}
		p, ok := r.QueryParams()[name]
		if !ok || !p.Array || p.Type != "integer" {
			t.Errorf("%s %s: param %q = %+v, want an integer array", r.Method, r.Path, name, p)
		}
		delete(want, r.Path)
	}
	if len(want) != 0 {
		t.Errorf("routes not found: %v", want)
	}
}

// TestMatchesReferenceSpec regenerates nothing; it checks that routes.json was
// generated from the spec kept beside the checkout, when that spec is present.
func TestMatchesReferenceSpec(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../../shared/reference/ledger-vault-openapi.yml")
	if err != nil {
		t.Skip("reference spec not beside the checkout:", err)
	}
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != d.SpecSHA256 {
		t.Errorf("routes.json was generated from spec %s, reference is %s: run make routes", d.SpecSHA256, got)
	}
}
