package demo

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
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

// TestWalkthroughStartsInTheConsole: the printed walk-through gives the
// console's address and every admin's sign-in token first.
func TestWalkthroughStartsInTheConsole(t *testing.T) {
	e := &env{gw: "http://gw", admin: "http://127.0.0.1:9090", sim: "http://sim", hook: "http://hook", binary: "rg",
		tokens: map[string]string{"alice": "lra_A", "bob": "lra_B", "carol": "lra_C"}}
	var out bytes.Buffer
	printWalkthrough(&out, e, steps(e))
	text := out.String()
	console := strings.Index(text, "open http://127.0.0.1:9090/ and sign in")
	if console < 0 || console > strings.Index(text, "# 1.") {
		t.Fatalf("the walk-through does not start with the console:\n%s", text)
	}
	for _, line := range []string{"alice  lra_A", "bob    lra_B", "carol  lra_C"} {
		if !strings.Contains(text, line) {
			t.Errorf("no %q in the walk-through", line)
		}
	}
}
