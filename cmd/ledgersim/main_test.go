package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// firstLine reads the line ledgersim prints and returns the URL in it.
func firstLine(t *testing.T, r io.Reader) string {
	t.Helper()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v (%q)", err, line)
	}
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "http://") {
			return f
		}
	}
	t.Fatalf("no URL in %q", line)
	return ""
}

// checkTwoEntities asks the running simulator for the first five accounts
// of entities 1 and 2 and checks them against its data set.
func checkTwoEntities(t *testing.T, base string) {
	t.Helper()
	var d struct {
		Entities []struct {
			ID       int
			Accounts []int
		}
	}
	fetch(t, base+"/_sim/dataset", &d)
	want := append(slices.Clone(d.Entities[0].Accounts), d.Entities[1].Accounts...)
	var p struct {
		Edges []struct {
			Cursor int
			Node   struct{ ID int }
		}
		PageInfo struct {
			Count       int  `json:"count"`
			HasNextPage bool `json:"has_next_page"`
		} `json:"page_info"`
	}
	fetch(t, base+"/accounts?entity=1&entity=2&page=1&page_size=5", &p)
	if p.PageInfo.Count != len(want) || p.PageInfo.HasNextPage != (len(want) > 5) || len(p.Edges) != min(5, len(want)) {
		t.Fatalf("page_info %+v with %d edges, want count %d, has_next_page %v, %d edges",
			p.PageInfo, len(p.Edges), len(want), len(want) > 5, min(5, len(want)))
	}
	for i, e := range p.Edges {
		if !slices.Contains(want, e.Node.ID) || e.Cursor != i {
			t.Errorf("edge %d: account %d at cursor %d; want an account of entity 1 or 2 at cursor %d", i, e.Node.ID, e.Cursor, i)
		}
	}
}

func fetch(t *testing.T, url string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Ledger-API-User", "reportgate-operator")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, stdout := io.Pipe()
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"--listen", "127.0.0.1:0"}, stdout, io.Discard) }()
	checkTwoEntities(t, firstLine(t, out))
	cancel()
	if got := <-code; got != 0 {
		t.Fatalf("run after cancel = %d, want 0", got)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"--help"}, 0},
		{"unknown flag", []string{"--nope"}, 2},
		{"bad error rate", []string{"--error-rate", "2"}, 2},
		{"stray argument", []string{"serve"}, 2},
		{"unusable address", []string{"--listen", "256.0.0.1:1"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := run(context.Background(), tt.args, io.Discard, io.Discard); got != tt.want {
				t.Fatalf("run(%q) = %d, want %d", tt.args, got, tt.want)
			}
		})
	}
}

// TestBinary builds the command, runs it as a user would, queries it and
// stops it with SIGTERM.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "ledgersim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	checkTwoEntities(t, firstLine(t, stdout))
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v, want status 0", err)
	}
}
