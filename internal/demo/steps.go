package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// step is one line of the walk-through: what it shows, the shell command a
// newcomer pastes, and, for Script, how to check what it printed.
type step struct {
	title string
	cmd   string
	// capture names a shell variable the command's output is assigned to
	// (VAR=$(cmd)); later steps use it.
	capture string
	check   func(out string, err error) error
	// eventual: the effect is asynchronous (a notification); Script retries
	// the command for a few seconds before calling it a failure.
	eventual bool
}

func steps(e *env) []step {
	as := func(admin, args string) string {
		return fmt.Sprintf("REPORTGATE_ADMIN_TOKEN=$%s \"$RG\" keys %s", strings.ToUpper(admin), args)
	}
	partner := func(path string) string {
		return fmt.Sprintf(`curl -s -H "X-Ledger-Reporting-API-Key: $SECRET" -H "X-Ledger-Workspace: %s" "$GW%s"; echo`, Workspace, path)
	}
	status := func(path string) string {
		return fmt.Sprintf(`curl -s -o /dev/null -w '%%{http_code}\n' -H "X-Ledger-Reporting-API-Key: $SECRET" -H "X-Ledger-Workspace: %s" "$GW%s"`, Workspace, path)
	}
	return []step{
		{title: "alice files a creation request for a key bound to entities 1 and 2 (Treasury, Trading Desk)",
			cmd: as("alice", "create --name auditor --entities 1,2 --id"), capture: "KEY",
			check: want(func(out string) bool { return strings.HasPrefix(out, "key_") })},
		{title: "alice cannot approve her own request",
			cmd: as("alice", "approve $KEY"), check: fails("403")},
		{title: "bob approves", cmd: as("bob", "approve $KEY"), check: contains("1 of 2 approvals")},
		{title: "carol approves: quorum reached, the key awaits its secret",
			cmd: as("carol", "approve $KEY"), check: contains("PENDING_SECRET")},
		{title: "alice reveals the secret, once (the last line)",
			cmd: as("alice", "reveal $KEY") + " | tail -n 1", capture: "SECRET",
			check: want(func(out string) bool { return strings.HasPrefix(out, "lrk_") })},
		{title: "a second reveal is refused: the secret was shown once and only its hash is stored",
			cmd: as("alice", "reveal $KEY"), check: fails("410")},
		{title: "the partner reads the accounts of its entities (scope injected by the gateway)",
			cmd: partner("/accounts?page_size=2"), check: jsonPage(1)},
		{title: "... and their transactions",
			cmd: partner("/transactions?page_size=2"), check: jsonPage(1)},
		{title: "... and the users in their governance (a list the gateway builds itself)",
			cmd: partner("/users?page_size=2"), check: jsonPage(1)},
		{title: "an account of entity 3 answers 404, like a missing one: existence does not leak",
			cmd: status(fmt.Sprintf("/accounts/%d", e.outside)), check: contains("404")},
		{title: "the partner registers its webhook with its key (served by the gateway, never forwarded upstream)",
			cmd:   fmt.Sprintf(`curl -s -X PUT -H "X-Ledger-Reporting-API-Key: $SECRET" -H "X-Ledger-Workspace: %s" -d '{"all":{"webhook":{"url":"%s/hook","secret":"%s"}}}' "$GW/notifications/configuration"; echo`, Workspace, e.hook, partnerSecret),
			check: contains(`"url"`)},
		{title: fmt.Sprintf("upstream, account %d (entity 1) receives a transaction; the simulator notifies the gateway", e.mover),
			cmd:   fmt.Sprintf(`curl -s -X POST -d '{"account_id":%d,"type":"RECEIVE"}' "$SIM/_sim/transactions" >/dev/null && echo sent`, e.mover),
			check: contains("sent")},
		{title: "the partner's webhook received it, signed with the partner's secret (verified by the receiver)",
			cmd: `curl -s "$HOOK/received"; echo`, check: contains(`"signature_verified":true`), eventual: true},
		{title: fmt.Sprintf("upstream, account %d leaves entity 1: the key stops seeing it, without a restart", e.mover),
			cmd:   fmt.Sprintf(`curl -s -X POST -d '{"entity":3}' "$SIM/_sim/accounts/%d/move" >/dev/null && `, e.mover) + status(fmt.Sprintf("/accounts/%d", e.mover)),
			check: contains("404"), eventual: true},
		{title: "writes are refused: reporting keys are read-only",
			cmd:   fmt.Sprintf(`curl -s -o /dev/null -w '%%{http_code}\n' -X POST -H "X-Ledger-Reporting-API-Key: $SECRET" -H "X-Ledger-Workspace: %s" "$GW/transactions/estimate-fees"`, Workspace),
			check: contains("403")},
		{title: "bob suspends the key: refused at once, no quorum needed",
			cmd: as("bob", "suspend $KEY") + " && " + status("/accounts"), check: contains("403")},
		{title: "bob unsuspends it", cmd: as("bob", "unsuspend $KEY") + " && " + status("/accounts"), check: contains("200")},
		{title: "alice files a revocation: the key is suspended while it is pending",
			cmd: as("alice", "revoke $KEY") + " && " + status("/accounts"), check: contains("403")},
		{title: "bob and carol approve: the key is revoked for ever",
			cmd: as("bob", "approve $KEY") + " && " + as("carol", "approve $KEY"), check: contains("REVOKED")},
		{title: "the audit log shows every step, hash-chained and verified",
			cmd: as("alice", "audit"), check: contains("verified")},
	}
}

// printWalkthrough prints the preamble and every step, ready to paste.
func printWalkthrough(w io.Writer, e *env, ss []step) {
	fmt.Fprintf(w, `
reportgate demo is running: upstream simulator %s, gateway %s, admin API %s,
a partner's webhook receiver %s. Workspace %q; admins alice, bob and carol.

The admin console: open %s/ and sign in with an admin's token
  alice  %s
  bob    %s
  carol  %s
(each admin in a browser or private window of their own). As alice, Create
Reporting API Key for Treasury and Trading Desk; as bob and carol, approve it
under Requests; as alice, Reveal it.

Or the same workflow from a shell: paste these lines into another one, in
order (Ctrl-C here stops the demo). To go on with the console's key instead,
paste the first block, then KEY=<its id, key_… in the key page's address> and
SECRET=<the revealed key>, and start at step 7.

%s
`, e.sim, e.gw, e.admin, e.hook, Workspace, e.admin, e.tokens["alice"], e.tokens["bob"], e.tokens["carol"], preamble(e))
	for i, s := range ss {
		fmt.Fprintf(w, "\n# %d. %s\n%s\n", i+1, s.title, line(s))
	}
	fmt.Fprintln(w)
}

func preamble(e *env) string {
	return fmt.Sprintf("RG=%q\nexport REPORTGATE_ADMIN_URL=%s\nGW=%s\nSIM=%s\nHOOK=%s\nALICE=%s\nBOB=%s\nCAROL=%s",
		e.binary, e.admin, e.gw, e.sim, e.hook, e.tokens["alice"], e.tokens["bob"], e.tokens["carol"])
}

func line(s step) string {
	if s.capture != "" {
		return fmt.Sprintf("%s=$(%s); echo \"$%s\"", s.capture, s.cmd, s.capture)
	}
	return s.cmd
}

// play runs every step through bash exactly as printed and checks it; the
// first surprise is an error.
func play(ctx context.Context, w io.Writer, e *env, ss []step) error {
	vars := map[string]string{}
	for i, s := range ss {
		script := preamble(e) + "\n"
		for k, v := range vars {
			script += fmt.Sprintf("%s=%q\n", k, v)
		}
		script += line(s)
		out, cerr := runStep(ctx, script, s)
		for deadline := time.Now().Add(5 * time.Second); cerr != nil && s.eventual && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			out, cerr = runStep(ctx, script, s)
		}
		if cerr != nil {
			return fmt.Errorf("demo: step %d (%s): %w\n$ %s\n%s", i+1, s.title, cerr, line(s), out)
		}
		if s.capture != "" {
			vars[s.capture] = lastLine(out)
		}
		fmt.Fprintf(w, "ok %2d  %s\n", i+1, s.title)
	}
	return nil
}

// runStep runs one step's script through bash and checks its output.
func runStep(ctx context.Context, script string, s step) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Env = append(os.Environ(), "REPORTGATE_ADMIN_TOKEN=")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	out := strings.TrimSpace(buf.String())
	return out, s.check(out, err)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func want(ok func(string) bool) func(string, error) error {
	return func(out string, err error) error {
		if err != nil || !ok(lastLine(out)) {
			return fmt.Errorf("unexpected answer (%v)", err)
		}
		return nil
	}
}

func contains(sub string) func(string, error) error {
	return func(out string, err error) error {
		if err != nil || !strings.Contains(out, sub) {
			return fmt.Errorf("want %q in the answer (%v)", sub, err)
		}
		return nil
	}
}

// fails expects the command to exit non-zero mentioning sub.
func fails(sub string) func(string, error) error {
	return func(out string, err error) error {
		if err == nil || !strings.Contains(out, sub) {
			return fmt.Errorf("want a refusal mentioning %q (exit error: %v)", sub, err)
		}
		return nil
	}
}

// jsonPage expects an upstream-shaped page with at least min nodes.
func jsonPage(min int) func(string, error) error {
	return func(out string, err error) error {
		var p struct {
			Edges    []json.RawMessage `json:"edges"`
			PageInfo *struct{}         `json:"page_info"`
		}
		if err != nil || json.Unmarshal([]byte(out), &p) != nil || p.PageInfo == nil || len(p.Edges) < min {
			return fmt.Errorf("want a page with at least %d nodes (%v)", min, err)
		}
		return nil
	}
}
