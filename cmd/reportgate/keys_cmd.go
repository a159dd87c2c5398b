package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"reportgate/admin"
	"reportgate/internal/certs"
)

const keysUsage = `Usage: reportgate keys <command> [arguments] [flags]

Manage reporting keys through the admin API, as the admin whose token is given.

Commands:
  list [--limit N] [--cursor C]             list keys, newest first
  show KEY_ID                               show one key
  create --name NAME --entities 1,2 [--client-cert FILE | --client-cert-sha256 HEX]
                                            file a creation request
  edit KEY_ID [--name NAME] [--entities 3] [--rate-limit 50/s|default [--rate-limit-burst 100]]
              [--client-cert FILE | --client-cert-sha256 HEX|none]
                                            file an edit request
  revoke KEY_ID                             file a revocation request (suspends the key meanwhile)
  suspend KEY_ID | unsuspend KEY_ID         immediate, no quorum
  reveal KEY_ID                             print the key's secret once, alone on the last line
  requests [REQUEST_ID] [--status S]        list requests, or show one
  approve|reject|abort REQUEST_ID|KEY_ID    vote on a request (or a key's pending one), or withdraw your own
  audit [--limit N] [--cursor C]            the audit log and its chain verification

Flags:
`

// keysOpts are the flags of every keys command; each command reads its own.
type keysOpts struct {
	adminURL, token string
	json            bool
	limit           int
	cursor, status  string
	name            string
	entities        []int64
	idOnly          bool
	rateLimit       string
	rateLimitBurst  int
	clientCert      string // a PEM file
	clientCertSHA   string // a fingerprint, or "none"
}

// keysCommand is one `keys` subcommand: its positional arguments and the
// call it makes. run returns the raw answer (printed with --json) and a
// function printing it for humans.
type keysCommand struct {
	args int // positional arguments; -1 for zero or one
	run  func(ctx context.Context, c *admin.Client, o *keysOpts, fs *pflag.FlagSet, args []string) (any, func(io.Writer), error)
}

func keysCmd(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	o := &keysOpts{}
	fs := keysFlags(o, stderr)
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fs.Usage()
		if len(args) == 0 {
			return fmt.Errorf("%w: give a keys command", errUsage)
		}
		return nil
	}
	cmd, ok := keysCommands()[args[0]]
	if !ok {
		return fmt.Errorf("%w: unknown keys command %q; see reportgate keys help", errUsage, args[0])
	}
	if err := fs.Parse(args[1:]); err != nil {
		if err == pflag.ErrHelp {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if n := fs.NArg(); (cmd.args >= 0 && n != cmd.args) || (cmd.args < 0 && n > 1) {
		return fmt.Errorf("%w: keys %s: unexpected arguments %q; see reportgate keys help", errUsage, args[0], fs.Args())
	}
	fromEnv(fs, "admin-url", &o.adminURL, "REPORTGATE_ADMIN_URL", lookupEnv)
	fromEnv(fs, "token", &o.token, "REPORTGATE_ADMIN_TOKEN", lookupEnv)
	if o.token == "" {
		return fmt.Errorf("%w: no admin token: set REPORTGATE_ADMIN_TOKEN (or --token)", errUsage)
	}
	c, err := admin.NewClient(o.adminURL, o.token, nil)
	if err != nil {
		return fmt.Errorf("%w: --admin-url: %v", errUsage, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, human, err := cmd.run(ctx, c, o, fs, fs.Args())
	var broken errAuditBroken
	if err != nil && !errors.As(err, &broken) {
		return err
	}
	if kr, ok := v.(admin.KeyAndRequest); ok && o.idOnly && err == nil {
		fmt.Fprintln(stdout, kr.Key.ID)
		return nil
	}
	if o.json {
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		human(stdout)
	}
	return err
}

func keysFlags(o *keysOpts, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("reportgate keys", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.adminURL, "admin-url", "http://127.0.0.1:9090", "admin API base URL [REPORTGATE_ADMIN_URL]")
	// No default from the variable: --help would print the token.
	fs.StringVar(&o.token, "token", "", "admin bearer token; prefer the variable, flags show in ps [REPORTGATE_ADMIN_TOKEN]")
	fs.BoolVar(&o.json, "json", false, "print the API's JSON answer instead of text")
	fs.IntVar(&o.limit, "limit", 0, "list, requests, audit: page size (default 50, at most 200)")
	fs.StringVar(&o.cursor, "cursor", "", "list, requests, audit: next_cursor of the previous page")
	fs.StringVar(&o.status, "status", "", "requests: PENDING, APPROVED, REJECTED, ABORTED or EXPIRED")
	fs.StringVar(&o.name, "name", "", "create, edit: the key's name")
	fs.Int64SliceVar(&o.entities, "entities", nil, "create, edit: entity ids, comma-separated (e.g. 1,2)")
	fs.BoolVar(&o.idOnly, "id", false, "create, edit, revoke: print only the key id (for scripts)")
	fs.StringVar(&o.rateLimit, "rate-limit", "", "edit: the key's own rate limit, N/s or N/m, or default (the gateway's)")
	fs.IntVar(&o.rateLimitBurst, "rate-limit-burst", 0, "edit: requests of the key's limit that may come at once (default: N)")
	fs.StringVar(&o.clientCert, "client-cert", "", "create, edit: bind the key to the partner's client certificate in this PEM file")
	fs.StringVar(&o.clientCertSHA, "client-cert-sha256", "", "create, edit: bind the key to the client certificate with this SHA-256 (hex); edit: none unbinds")
	fs.Usage = func() { fmt.Fprint(stderr, keysUsage, fs.FlagUsages()) }
	return fs
}

// fromEnv sets a flag not given on the command line from its variable.
func fromEnv(fs *pflag.FlagSet, flag string, dst *string, variable string, lookupEnv func(string) (string, bool)) {
	if v, ok := lookupEnv(variable); ok && !fs.Changed(flag) {
		*dst = v
	}
}

func keysCommands() map[string]keysCommand {
	keyAction := func(action string) keysCommand {
		return keysCommand{args: 1, run: func(ctx context.Context, c *admin.Client, _ *keysOpts, _ *pflag.FlagSet, a []string) (any, func(io.Writer), error) {
			k, err := c.KeyAction(ctx, a[0], action)
			return k, func(w io.Writer) {
				fmt.Fprintf(w, "Key %s is %s (generation %d).\n", k.ID, k.Status, k.Generation)
				printReplicas(w, k.Replicas)
			}, err
		}}
	}
	decide := func(verb string) keysCommand {
		return keysCommand{args: 1, run: func(ctx context.Context, c *admin.Client, _ *keysOpts, _ *pflag.FlagSet, a []string) (any, func(io.Writer), error) {
			id, err := pendingRequestOf(ctx, c, a[0])
			if err != nil {
				return nil, nil, err
			}
			r, err := c.Decide(ctx, id, verb)
			return r, func(w io.Writer) { printDecision(w, r) }, err
		}}
	}
	return map[string]keysCommand{
		"list": {args: 0, run: func(ctx context.Context, c *admin.Client, o *keysOpts, _ *pflag.FlagSet, _ []string) (any, func(io.Writer), error) {
			l, err := c.ListKeys(ctx, o.cursor, o.limit)
			return l, func(w io.Writer) { printKeyList(w, l) }, err
		}},
		"show": {args: 1, run: func(ctx context.Context, c *admin.Client, _ *keysOpts, _ *pflag.FlagSet, a []string) (any, func(io.Writer), error) {
			k, err := c.Key(ctx, a[0])
			return k, func(w io.Writer) { printKey(w, k) }, err
		}},
		"create": {args: 0, run: runCreate},
		"edit":   {args: 1, run: runEdit},
		"revoke": {args: 1, run: func(ctx context.Context, c *admin.Client, _ *keysOpts, _ *pflag.FlagSet, a []string) (any, func(io.Writer), error) {
			r, err := c.Revoke(ctx, a[0])
			return r, func(w io.Writer) { printFiled(w, r) }, err
		}},
		"suspend":   keyAction("suspend"),
		"unsuspend": keyAction("unsuspend"),
		"reveal": {args: 1, run: func(ctx context.Context, c *admin.Client, _ *keysOpts, _ *pflag.FlagSet, a []string) (any, func(io.Writer), error) {
			r, err := c.Reveal(ctx, a[0])
			return r, func(w io.Writer) { printReveal(w, r) }, err
		}},
		"requests": {args: -1, run: runRequests},
		"approve":  decide("approve"),
		"reject":   decide("reject"),
		"abort":    decide("abort"),
		"audit":    {args: 0, run: runAudit},
	}
}

// pendingRequestOf lets approve, reject and abort take a key id for the
// key's one pending request (ids carry their kind: key_… or req_…).
func pendingRequestOf(ctx context.Context, c *admin.Client, id string) (string, error) {
	if !strings.HasPrefix(id, "key_") {
		return id, nil
	}
	k, err := c.Key(ctx, id)
	if err != nil {
		return "", err
	}
	if k.PendingRequest == "" {
		return "", fmt.Errorf("key %s has no pending request", id)
	}
	return k.PendingRequest, nil
}

func runCreate(ctx context.Context, c *admin.Client, o *keysOpts, _ *pflag.FlagSet, _ []string) (any, func(io.Writer), error) {
	if o.name == "" || len(o.entities) == 0 {
		return nil, nil, fmt.Errorf("%w: keys create needs --name and --entities", errUsage)
	}
	cert, err := clientCertArg(o)
	if err != nil {
		return nil, nil, err
	}
	r, err := c.Create(ctx, admin.KeyCreate{Name: o.name, Entities: o.entities, ClientCertSHA256: cert})
	return r, func(w io.Writer) { printFiled(w, r) }, err
}

// clientCertArg is the binding --client-cert (the fingerprint of the file's
// certificate, computed here) or --client-cert-sha256 asks for; nil when
// neither is given. The API checks the fingerprint's form.
func clientCertArg(o *keysOpts) (*string, error) {
	switch {
	case o.clientCert != "" && o.clientCertSHA != "":
		return nil, fmt.Errorf("%w: give --client-cert or --client-cert-sha256, not both", errUsage)
	case o.clientCert != "":
		fp, err := certs.FingerprintFile(o.clientCert)
		if err != nil {
			return nil, fmt.Errorf("%w: --client-cert %s: %v", errUsage, o.clientCert, err)
		}
		s := hex.EncodeToString(fp[:])
		return &s, nil
	case o.clientCertSHA != "":
		return &o.clientCertSHA, nil
	}
	return nil, nil
}

func runEdit(ctx context.Context, c *admin.Client, o *keysOpts, fs *pflag.FlagSet, a []string) (any, func(io.Writer), error) {
	var e admin.KeyEdit
	if fs.Changed("name") {
		e.Name = &o.name
	}
	if fs.Changed("entities") {
		e.Entities = &o.entities
	}
	if fs.Changed("rate-limit") {
		e.RateLimit = &o.rateLimit
	}
	if fs.Changed("rate-limit-burst") {
		e.RateLimitBurst = &o.rateLimitBurst
	}
	if e.RateLimitBurst != nil && e.RateLimit == nil {
		return nil, nil, fmt.Errorf("%w: keys edit: --rate-limit-burst goes with --rate-limit", errUsage)
	}
	var err error
	if e.ClientCertSHA256, err = clientCertArg(o); err != nil {
		return nil, nil, err
	}
	if e.Name == nil && e.Entities == nil && e.RateLimit == nil && e.ClientCertSHA256 == nil {
		return nil, nil, fmt.Errorf("%w: keys edit needs --name, --entities, --rate-limit, --client-cert or several", errUsage)
	}
	r, err := c.Edit(ctx, a[0], e)
	return r, func(w io.Writer) { printFiled(w, r) }, err
}

func runRequests(ctx context.Context, c *admin.Client, o *keysOpts, _ *pflag.FlagSet, a []string) (any, func(io.Writer), error) {
	if len(a) == 1 {
		r, err := c.Request(ctx, a[0])
		return r, func(w io.Writer) { printRequest(w, r) }, err
	}
	l, err := c.ListRequests(ctx, strings.ToUpper(o.status), o.cursor, o.limit)
	return l, func(w io.Writer) { printRequestList(w, l) }, err
}

func runAudit(ctx context.Context, c *admin.Client, o *keysOpts, _ *pflag.FlagSet, _ []string) (any, func(io.Writer), error) {
	p, err := c.Audit(ctx, o.cursor, o.limit)
	if err == nil && !p.Verification.OK {
		// Print the page, then fail: a broken chain must not exit 0.
		return p, func(w io.Writer) { printAudit(w, p) }, errAuditBroken{p}
	}
	return p, func(w io.Writer) { printAudit(w, p) }, err
}

// errAuditBroken reports a broken chain after the page is printed.
type errAuditBroken struct{ page admin.AuditPage }

func (e errAuditBroken) Error() string {
	b := e.page.Verification.Broken
	return fmt.Sprintf("the audit chain is broken at entry %d: %s", b.Seq, b.Reason)
}
