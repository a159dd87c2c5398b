package demo

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestWalkthroughScript plays the printed walk-through through bash with a
// freshly built binary, exactly as `reportgate demo --script` does, so the
// README's demo never rots.
func TestWalkthroughScript(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run `make test`, which installs it", tool)
		}
	}
	bin := filepath.Join(t.TempDir(), "reportgate")
	build := exec.Command("go", "build", "-o", bin, "reportgate/cmd/reportgate")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := Run(ctx, Options{Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", SimListen: "127.0.0.1:0", PartnerListen: "127.0.0.1:0",
		Binary: bin, Script: true, Out: &out})
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
}
