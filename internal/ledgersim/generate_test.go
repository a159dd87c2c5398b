package ledgersim

import (
	"encoding/json"
	"testing"
)

// TestGenerateIsDeterministic: the same config gives the same bytes, and
// no collection encodes as null.
func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	encode := func(cfg Config) string {
		raw, err := json.Marshal(generate(cfg).datasetView())
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	cfg := DefaultConfig()
	if a, b := encode(cfg), encode(cfg); a != b {
		t.Fatal("two generations with the same config differ")
	}
	empty := Config{Users: 1}
	var d map[string][]json.RawMessage
	if err := json.Unmarshal([]byte(encode(empty)), &d); err != nil {
		t.Fatal(err)
	}
	for name, coll := range d {
		if coll == nil {
			t.Errorf("empty config: %s is null, want []", name)
		}
	}
}
