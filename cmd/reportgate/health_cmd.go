package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/pflag"
)

// healthCmd probes a health endpoint: for container health checks, where
// the image has no shell and no curl.
func healthCmd(args []string, stdout, stderr io.Writer) error {
	var url string
	var timeout time.Duration
	fs := pflag.NewFlagSet("reportgate health", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&url, "url", "http://127.0.0.1:9090/healthz", "endpoint to probe (/healthz for liveness, /readyz for readiness)")
	fs.DurationVar(&timeout, "timeout", 3*time.Second, "probe timeout")
	var insecure bool
	fs.BoolVar(&insecure, "insecure", false, "https: do not verify the certificate (a probe of this host's own listener, whose certificate names another host)")
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	c := &http.Client{Timeout: timeout}
	if insecure {
		// A liveness probe sends nothing secret and reads a status.
		c.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // see above
	}
	resp, err := c.Get(url)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(stdout, "%s", body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %d", url, resp.StatusCode)
	}
	return nil
}
