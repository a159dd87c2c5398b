package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"reportgate/admin"
	"reportgate/registry"
)

// Human-readable output of the keys commands; --json prints the API's
// answer instead.

func printKey(w io.Writer, k admin.Key) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(label, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s\t%s\n", label, value)
		}
	}
	row("ID", k.ID)
	row("Name", k.Name)
	row("Entities", joinIDs(k.Entities))
	row("Status", k.Status)
	row("Generation", strconv.FormatUint(k.Generation, 10))
	row("Rate limit", rateLimit(k.RateLimit, k.RateLimitBurst))
	row("Client certificate", k.ClientCertSHA256)
	if k.DisplayPrefix != "" {
		row("Key", k.DisplayPrefix+"…")
	}
	row("Created", stamp(k.CreatedAt)+" by "+k.CreatedBy)
	row("Revealed", stamp(k.RevealedAt))
	row("Last used", stamp(k.LastUsedAt))
	row("Requests, 24 h", strconv.FormatInt(k.Requests24h, 10))
	row("Pending request", k.PendingRequest)
	tw.Flush()
}

func printKeyList(w io.Writer, l admin.KeyList) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tNAME\tENTITIES\tKEY\tLAST USED\t24H\tPENDING")
	for _, k := range l.Keys {
		prefix := "-"
		if k.DisplayPrefix != "" {
			prefix = k.DisplayPrefix + "…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", k.ID, k.Status, k.Name, joinIDs(k.Entities), prefix,
			dash(stamp(k.LastUsedAt)), k.Requests24h, dash(k.PendingRequest))
	}
	tw.Flush()
	nextPage(w, l.NextCursor)
}

func printFiled(w io.Writer, r admin.KeyAndRequest) {
	req := r.Request
	fmt.Fprintf(w, "Filed %s request %s for key %s (now %s).\n", req.Kind, req.ID, r.Key.ID, r.Key.Status)
	fmt.Fprintf(w, "It needs %d approval(s) from other admins before %s.\n", req.Quorum, stamp(req.ExpiresAt))
	printDiff(w, req.Diff)
	printReplicas(w, r.Replicas)
}

// printReplicas says which gateway replicas applied a suspension, an
// unsuspension or a revocation filing (absent from older gateways).
func printReplicas(w io.Writer, c *admin.Confirmation) {
	if c == nil {
		return
	}
	fmt.Fprintln(w, c.Summary)
	if len(c.Confirmed) > 0 {
		fmt.Fprintf(w, "Confirmed: %s\n", strings.Join(c.Confirmed, ", "))
	}
}

func printDecision(w io.Writer, r admin.KeyAndRequest) {
	req := r.Request
	fmt.Fprintf(w, "Request %s is %s (%d of %d approvals).\n", req.ID, req.Status, req.CountedApprovals(), req.Quorum)
	fmt.Fprintf(w, "Key %s is %s.\n", r.Key.ID, r.Key.Status)
	if req.Status == string(registry.RequestApproved) && req.Kind == string(registry.KindCreate) {
		fmt.Fprintf(w, "%s can now reveal it: reportgate keys reveal %s\n", req.RequestedByName, r.Key.ID)
	}
}

// printReveal puts the secret alone on the last line, for scripts.
func printReveal(w io.Writer, r admin.Reveal) {
	fmt.Fprintf(w, "Key %s (%s) is %s. Its secret, shown only this once:\n", r.Key.ID, r.Key.Name, r.Key.Status)
	if r.Warning != "" {
		fmt.Fprintf(w, "Warning: %s.\n", r.Warning)
	}
	fmt.Fprintln(w, r.Secret)
}

func printRequest(w io.Writer, r admin.Request) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID\t%s\nKind\t%s\nKey\t%s\nStatus\t%s\n", r.ID, r.Kind, r.KeyID, r.Status)
	fmt.Fprintf(tw, "Requested\t%s by %s (%s)\n", stamp(r.CreatedAt), r.RequestedByName, r.RequestedBy)
	fmt.Fprintf(tw, "Expires\t%s\n", stamp(r.ExpiresAt))
	fmt.Fprintf(tw, "Approvals\t%d of %d: %s\n", r.CountedApprovals(), r.Quorum, votes(r.Approvals))
	if len(r.Rejections) > 0 {
		fmt.Fprintf(tw, "Rejections\t%s\n", votes(r.Rejections))
	}
	if !r.ClosedAt.IsZero() {
		fmt.Fprintf(tw, "Closed\t%s by %s\n", stamp(r.ClosedAt), r.ClosedBy)
	}
	tw.Flush()
	printDiff(w, r.Diff)
}

func printRequestList(w io.Writer, l admin.RequestList) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tKEY\tSTATUS\tAPPROVALS\tBY\tEXPIRES")
	for _, r := range l.Requests {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", r.ID, r.Kind, r.KeyID, r.Status,
			r.CountedApprovals(), r.Quorum, r.RequestedByName, stamp(r.ExpiresAt))
	}
	tw.Flush()
	nextPage(w, l.NextCursor)
}

func printAudit(w io.Writer, p admin.AuditPage) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tKEY\tREQUEST")
	for _, e := range p.Entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, stamp(e.Time), e.ActorName, e.Action, dash(e.KeyID), dash(e.RequestID))
	}
	tw.Flush()
	nextPage(w, p.NextCursor)
	v := p.Verification
	if v.OK {
		fmt.Fprintf(w, "Chain verified: %d entries, head %d %s\n", v.Checked, v.HeadSeq, v.HeadHash)
		return
	}
	fmt.Fprintf(w, "CHAIN BROKEN at entry %d: %s\n", v.Broken.Seq, v.Broken.Reason)
}

func printDiff(w io.Writer, d admin.Diff) {
	side := func(s registry.KeyState) string {
		var parts []string
		if s.Name != "" {
			parts = append(parts, fmt.Sprintf("name %q", s.Name))
		}
		if len(s.Entities) > 0 {
			parts = append(parts, "entities "+joinIDs(s.Entities))
		}
		if s.Status != "" {
			parts = append(parts, "status "+string(s.Status))
		}
		if s.RateLimit != "" {
			parts = append(parts, "rate limit "+rateLimit(s.RateLimit, s.RateLimitBurst))
		}
		if s.ClientCert != "" {
			parts = append(parts, "client certificate "+s.ClientCert)
		}
		return dash(strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "Change: %s → %s\n", side(d.Before), side(d.After))
}

// rateLimit shows a key's limit; "" and "default" are the gateway's.
func rateLimit(rate string, burst int) string {
	if rate == "" || rate == "default" {
		return "default (the gateway's)"
	}
	return fmt.Sprintf("%s, burst %d", rate, burst)
}

func nextPage(w io.Writer, cursor string) {
	if cursor != "" {
		fmt.Fprintf(w, "More: --cursor %s\n", cursor)
	}
}

func votes(vs []admin.Vote) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		part := v.AdminName + " (" + v.AdminID + ")"
		if !v.DiscountedAt.IsZero() {
			part += " [disabled: not counted]"
		}
		parts = append(parts, part)
	}
	return dash(strings.Join(parts, ", "))
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
