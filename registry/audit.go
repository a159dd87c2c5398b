package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// AuditEntry is one step of the workflow as appended to the audit stream by
// the script that made it. It never holds a secret nor a hash of one.
type AuditEntry struct {
	StreamID string // Redis stream entry id; the paging cursor
	Seq      uint64 // 1, 2, 3, … without gaps
	Prev     string // Hash of the previous entry, "" for the first
	Hash     string // hex SHA-256 of the entry's canonical encoding (auditFields)
	Time     time.Time
	Actor    string // admin id, "operator" (CLI) or "system" (expiry)
	// ActorName is the admin's name at the time.
	ActorName string
	Action    string // admin.create, request.create, request.approve, key.reveal, …
	KeyID     string
	RequestID string
	// Before and After are JSON snapshots of the key and request, or of the
	// admin for admin.* actions.
	Before, After json.RawMessage
}

// AuditVerification is the result of walking the chain from its first entry
// to the head pointer.
type AuditVerification struct {
	OK       bool
	Checked  uint64 // entries whose hash and link were verified
	HeadSeq  uint64 // the head pointer: record it elsewhere to anchor the chain
	HeadHash string
	// AcknowledgedSeq is the last entry an action acknowledged by this
	// process appended (0 when none since it started): the walk checks that
	// the log still holds it, unchanged, which the head pointer alone cannot
	// tell when a failover or a restart lost the tail with its head.
	AcknowledgedSeq uint64
	// Broken describes the first bad entry; nil when OK.
	Broken *AuditBreak
}

// AuditBreak is where verification failed.
type AuditBreak struct {
	Seq      uint64 // the sequence number expected at that point
	StreamID string // the offending entry, "" when entries are missing at the tail
	Reason   string
}

// auditFields is the canonical order hashed into each entry; lua/prelude.lua
// holds the same list (AUDIT_FIELDS). Changing either breaks every chain. A
// function, not a variable, so that nothing can change it at run time.
func auditFields() [auditFieldCount]string {
	return [...]string{"seq", "prev", "time", "actor", "actor_name", "action", "key", "request", "before", "after"}
}

// auditFieldCount is the number of hashed fields; a stored entry has one
// more, its hash.
const auditFieldCount = 10

// auditHash is SHA-256 over "rg-audit-v1\n" and, per field in auditFields
// order, "<name>=<byte length>:<value>\n". Length prefixes make the encoding
// unambiguous whatever the values contain.
func auditHash(values map[string]string) string {
	var b strings.Builder
	b.WriteString("rg-audit-v1\n")
	for _, name := range auditFields() {
		v := values[name]
		fmt.Fprintf(&b, "%s=%d:%s\n", name, len(v), v)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

var streamIDPattern = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

// Audit returns a page of the audit log, oldest first (the order of the
// chain). cursor is "" or the NextCursor of the previous page.
func (r *Registry) Audit(ctx context.Context, cursor string, limit int) (Page[AuditEntry], error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return Page[AuditEntry]{}, err
	}
	start := "-"
	if cursor != "" {
		if !streamIDPattern.MatchString(cursor) {
			return Page[AuditEntry]{}, invalidf("cursor %q is not an audit cursor", cursor)
		}
		start = "(" + cursor
	}
	msgs, err := r.client.XRangeN(ctx, r.key("audit"), start, "+", int64(limit+1)).Result()
	if err != nil {
		return Page[AuditEntry]{}, classify(err, "read audit log")
	}
	page := Page[AuditEntry]{Items: make([]AuditEntry, 0, len(msgs))}
	for _, m := range msgs {
		page.Items = append(page.Items, parseAuditEntry(m))
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = page.Items[limit-1].StreamID
	}
	return page, nil
}

func parseAuditEntry(m redis.XMessage) AuditEntry {
	v := stringValues(m.Values)
	ms, _ := strconv.ParseInt(v["time"], 10, 64)
	seq, _ := strconv.ParseUint(v["seq"], 10, 64)
	return AuditEntry{
		StreamID: m.ID, Seq: seq, Prev: v["prev"], Hash: v["hash"],
		Time: time.UnixMilli(ms).UTC(), Actor: v["actor"], ActorName: v["actor_name"],
		Action: v["action"], KeyID: v["key"], RequestID: v["request"],
		Before: rawJSON(v["before"]), After: rawJSON(v["after"]),
	}
}

// rawJSON keeps a stored snapshot as JSON, or as a JSON string if someone
// wrote something else into the stream (verification will flag the entry).
func rawJSON(s string) json.RawMessage {
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}

func stringValues(in map[string]any) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		s, _ := v.(string)
		out[k] = s
	}
	return out
}

// verifyBatch is how many entries VerifyAudit reads per round trip.
const verifyBatch = 500

// VerifyAudit walks the whole chain and reports the first broken entry: an
// edited entry (its hash no longer matches), a removed, inserted or reordered
// one (sequence numbers or links break), a removed tail (the head pointer
// names an entry the stream no longer has) or a lost one (an entry this
// process acknowledged is missing or different). The error is only for
// Redis failures; a broken chain is a result, not an error.
func (r *Registry) VerifyAudit(ctx context.Context) (AuditVerification, error) {
	res, headSet, err := r.auditHead(ctx)
	if err != nil {
		return res, err
	}
	seq, hash, _ := r.repl.acked()
	res.AcknowledgedSeq = seq
	w := chainWalker{res: &res, ackedSeq: seq, ackedHash: hash}
	start := "-"
	for !w.done() {
		msgs, err := r.client.XRangeN(ctx, r.key("audit"), start, "+", verifyBatch).Result()
		if err != nil {
			return res, classify(err, "read audit log")
		}
		for _, m := range msgs {
			if w.done() || !w.step(m) {
				break
			}
		}
		if len(msgs) < verifyBatch {
			break
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
	w.finish(headSet)
	return res, nil
}

func (r *Registry) auditHead(ctx context.Context) (AuditVerification, bool, error) {
	head, err := r.client.HMGet(ctx, r.key("audit:head"), "seq", "hash").Result()
	if err != nil {
		return AuditVerification{}, false, classify(err, "read audit head")
	}
	seqStr, _ := head[0].(string)
	hash, _ := head[1].(string)
	seq, _ := strconv.ParseUint(seqStr, 10, 64)
	return AuditVerification{HeadSeq: seq, HeadHash: hash}, head[0] != nil, nil
}

// chainWalker checks entries one by one against the previous one. Entries
// past the head read at the start were appended during the walk and are left
// for the next verification.
type chainWalker struct {
	res    *AuditVerification
	prev   string
	broken bool
	seen   bool // at least one entry read
	// ackedSeq and ackedHash are the last entry this process acknowledged.
	ackedSeq  uint64
	ackedHash string
}

func (w *chainWalker) done() bool { return w.broken || (w.seen && w.res.Checked >= w.res.HeadSeq) }

func (w *chainWalker) step(m redis.XMessage) bool {
	w.seen = true
	want := w.res.Checked + 1
	v := stringValues(m.Values)
	switch seq, _ := strconv.ParseUint(v["seq"], 10, 64); {
	case len(m.Values) != auditFieldCount+1:
		w.fail(want, m.ID, fmt.Sprintf("entry has %d fields, want %d", len(m.Values), auditFieldCount+1))
	case seq != want:
		w.fail(want, m.ID, fmt.Sprintf("sequence number %q where %d was expected: an entry was removed, inserted or moved", v["seq"], want))
	case v["prev"] != w.prev:
		w.fail(want, m.ID, "prev does not match the previous entry's hash: an entry was removed, inserted or moved")
	case auditHash(v) != v["hash"]:
		w.fail(want, m.ID, "hash does not match the entry's content: the entry was altered")
	case want == w.ackedSeq && v["hash"] != w.ackedHash:
		w.fail(want, m.ID, "the entry differs from the one this replica acknowledged: "+
			"the log lost acknowledged entries (a failover or a restart) and went on from there")
	default:
		w.prev = v["hash"]
		w.res.Checked = want
		return true
	}
	return false
}

func (w *chainWalker) fail(seq uint64, id, reason string) {
	w.broken = true
	w.res.Broken = &AuditBreak{Seq: seq, StreamID: id, Reason: reason}
}

// finish compares the end of the walk with the head pointer.
func (w *chainWalker) finish(headSet bool) {
	res := w.res
	switch {
	case w.broken:
	case !headSet && w.seen:
		w.fail(1, "", "the head pointer is missing while the log has entries")
	case res.Checked < res.HeadSeq:
		w.fail(res.Checked+1, "", fmt.Sprintf("the log ends at entry %d but the head names entry %d: the tail was removed", res.Checked, res.HeadSeq))
	case w.prev != res.HeadHash:
		w.fail(res.Checked, "", "the last entry's hash differs from the head pointer's")
	case w.ackedSeq > res.HeadSeq:
		w.fail(res.HeadSeq+1, "", fmt.Sprintf("the log ends at entry %d but this replica acknowledged entry %d: "+
			"acknowledged entries were lost (a failover or a restart)", res.HeadSeq, w.ackedSeq))
	}
	res.OK = !w.broken
}
