package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"reportgate/config"
	"reportgate/registry"
)

const adminUsage = `Usage: reportgate admin <command> [flags]

Manage admin accounts directly in the registry's Redis (the admin API cannot:
admins are created before anyone can authenticate).

Commands:
  create-admin --name NAME   create an admin; prints their bearer token once, on the last line
  list-admins                list admins (tokens are never stored, so never shown)
  disable-admin ID           disable an admin for good

Flags (every command; a flag wins over its variable):
`

// adminCmd runs `reportgate admin …`.
func adminCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, adminUsage, registryFlags(config.Default()).FlagUsages())
		if len(args) == 0 {
			return fmt.Errorf("%w: give an admin command", errUsage)
		}
		return nil
	}
	sub, args := args[0], args[1:]
	var name string
	cfg := config.Default()
	regFlags := pflag.NewFlagSet("registry", pflag.ContinueOnError)
	cfg.BindRegistry(regFlags)
	fs := pflag.NewFlagSet("reportgate admin "+sub, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.AddFlagSet(regFlags) // the same flags: parsing fs marks them Changed for ApplyEnv
	fs.Usage = func() { fmt.Fprint(stderr, adminUsage, fs.FlagUsages()) }
	wantArgs := 0
	switch sub {
	case "create-admin":
		fs.StringVar(&name, "name", "", "the admin's name (required)")
	case "list-admins":
	case "disable-admin":
		wantArgs = 1
	default:
		return fmt.Errorf("%w: unknown admin command %q (create-admin, list-admins, disable-admin)", errUsage, sub)
	}
	if err := parseFlags(fs, args, wantArgs); err != nil {
		return err
	}
	// Only the registry flags mirror REPORTGATE_* variables.
	if err := config.ApplyEnv(regFlags, os.Environ(), os.LookupEnv); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := cfg.ValidateRegistry(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return runAdmin(cfg, sub, name, fs.Args(), stdout, stderr)
}

func registryFlags(cfg config.Config) *pflag.FlagSet {
	fs := pflag.NewFlagSet("registry", pflag.ContinueOnError)
	cfg.BindRegistry(fs)
	return fs
}

// parseFlags parses fs and checks the number of positional arguments.
func parseFlags(fs *pflag.FlagSet, args []string, want int) error {
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != want {
		return fmt.Errorf("%w: %s takes %d argument(s), got %q", errUsage, fs.Name(), want, fs.Args())
	}
	return nil
}

func runAdmin(cfg config.Config, sub, name string, args []string, stdout, stderr io.Writer) error {
	client := cfg.Redis.NewClient()
	defer client.Close()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	reg, err := registry.New(client, cfg.Workspace, registry.Options{Logger: logger})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch sub {
	case "create-admin":
		if name == "" {
			return fmt.Errorf("%w: create-admin needs --name", errUsage)
		}
		a, token, err := reg.CreateAdmin(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Created admin %s (%s) in workspace %s.\n", a.ID, a.Name, cfg.Workspace)
		fmt.Fprintln(stdout, "Their bearer token, shown only this once (pass it with REPORTGATE_ADMIN_TOKEN):")
		fmt.Fprintln(stdout, token)
	case "list-admins":
		admins, err := reg.ListAdmins(ctx)
		if err != nil {
			return err
		}
		printAdmins(stdout, admins)
	case "disable-admin":
		a, err := reg.DisableAdmin(ctx, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Disabled admin %s (%s).\n", a.ID, a.Name)
	}
	return nil
}

func printAdmins(w io.Writer, admins []registry.Admin) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tCREATED")
	for _, a := range admins {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.ID, a.Name, a.Status, a.CreatedAt.Format(time.RFC3339))
	}
	tw.Flush()
}
