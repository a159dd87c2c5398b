package policy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/valyala/fastjson"
	"golang.org/x/sync/singleflight"
)

// ErrScanLimit: a scoped list would need to read more upstream objects than
// the configured limit. The partner narrows the search with filters.
// Errors of Page match it with errors.Is; their text names the limit.
var ErrScanLimit = errors.New("policy: scoped list scan limit reached")

// ScanLimitError is the ErrScanLimit of one list, with the limit it hit.
type ScanLimitError struct{ Limit int }

func (e *ScanLimitError) Error() string {
	return "building this list would read more than " + strconv.Itoa(e.Limit) +
		" upstream objects (the gateway's --max-scan); narrow it with filters such as created_after, created_before or status"
}

func (e *ScanLimitError) Is(target error) bool { return target == ErrScanLimit }

// ListerOptions configure a Lister.
type ListerOptions struct {
	// MaxScan bounds the upstream objects read to build one list; a list
	// that needs more answers ErrScanLimit. Default 10000.
	MaxScan int
	// ScanPageSize is the page size of upstream reads. Default 100.
	ScanPageSize int
	// TTL is how long a built list is reused for the next pages of the same
	// key and filters, so paging through costs one scan and sees one
	// consistent list. Default 5s.
	TTL time.Duration
	// MaxBytes bounds the memory of the built lists kept for reuse (their
	// nodes' JSON); the least recently used go first. Default 64 MiB.
	MaxBytes int64
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Lister builds the pages of the scoped-list strategy (/users, /groups,
// /requests, /entities): the upstream has no filter that carries a whole scope, so it
// reads the upstream's pages with the caller's other filters, keeps the
// objects in scope, and answers an honest page_info. Safe for concurrent use.
//
// Cost: one build reads ceil(N/ScanPageSize) upstream pages, N being the
// objects matching the caller's other filters (at most MaxScan), plus for
// /requests one owner lookup per transaction target not yet cached. Every
// page of the same list within TTL is then served from memory.
type Lister struct {
	up     Upstream
	owners *Owners
	opts   ListerOptions
	built  *lru.Cache[string, *builtList]
	bytes  atomic.Int64 // JSON bytes held by built
	group  singleflight.Group
}

type builtList struct {
	nodes [][]byte // raw JSON of the in-scope nodes, in upstream order
	size  int64
	at    time.Time
}

// NewLister returns a lister reading through up.
func NewLister(up Upstream, owners *Owners, opts ListerOptions) (*Lister, error) {
	if opts.MaxScan <= 0 {
		opts.MaxScan = 10000
	}
	if opts.ScanPageSize <= 0 {
		opts.ScanPageSize = 100
	}
	if opts.TTL <= 0 {
		opts.TTL = 5 * time.Second
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 64 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Lister{up: up, owners: owners, opts: opts}
	c, err := lru.NewWithEvict(1024, func(_ string, b *builtList) { l.bytes.Add(-b.size) })
	if err != nil {
		return nil, err
	}
	l.built = c
	return l, nil
}

// ListRequest is one scoped-list call.
type ListRequest struct {
	Path    string // e.g. "/users"
	KeyID   string
	KeyGen  uint64
	Filters []byte // the checked query without page and page_size
	Page    int64  // 1-based
	Size    int64
	Check   Check
	Scope   *Scope
}

// Page returns the requested page in the upstream's envelope: the cursor
// is the node's index in the whole in-scope list, count its size, and
// has_next_page says whether a node follows this page. A page past the end
// is empty.
func (l *Lister) Page(ctx context.Context, r ListRequest) ([]byte, error) {
	if r.Page < 1 || r.Size < 1 {
		return nil, fmt.Errorf("policy: page %d of size %d: both must be at least 1", r.Page, r.Size)
	}
	all, err := l.list(ctx, r)
	if err != nil {
		return nil, err
	}
	total := int64(len(all))
	from := total // (Page-1)*Size may overflow: compare by division first
	if r.Page-1 <= total/r.Size {
		from = min((r.Page-1)*r.Size, total)
	}
	to := min(from+r.Size, total)
	out := append(make([]byte, 0, 256), `{"edges":[`...)
	for i := from; i < to; i++ {
		if i > from {
			out = append(out, ',')
		}
		out = append(out, `{"cursor":`...)
		out = strconv.AppendInt(out, i, 10)
		out = append(out, `,"node":`...)
		out = append(out, all[i]...)
		out = append(out, '}')
	}
	out = append(out, `],"page_info":{"count":`...)
	out = strconv.AppendInt(out, total, 10)
	out = append(out, `,"has_next_page":`...)
	out = strconv.AppendBool(out, to < total)
	return append(out, "}}"...), nil
}

func (l *Lister) list(ctx context.Context, r ListRequest) ([][]byte, error) {
	// The scope is part of the cache key through the key's generation and
	// the scope's build time: a changed scope never reuses a list.
	ck := r.Path + "\x00" + r.KeyID + "\x00" + strconv.FormatUint(r.KeyGen, 10) + "\x00" +
		strconv.FormatInt(r.Scope.Built.UnixNano(), 10) + "\x00" + string(r.Filters)
	if b, ok := l.built.Get(ck); ok && l.opts.Now().Sub(b.at) < l.opts.TTL {
		return b.nodes, nil
	}
	v, err, _ := l.group.Do(ck, func() (any, error) {
		nodes, err := l.scan(ctx, r)
		if err != nil {
			return nil, err
		}
		l.keep(ck, nodes)
		return nodes, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([][]byte), nil
}

// keep caches a built list, then evicts the least recently used lists
// until the cache fits in MaxBytes (a list larger than that is served once
// and not kept).
func (l *Lister) keep(ck string, nodes [][]byte) {
	b := &builtList{nodes: nodes, at: l.opts.Now()}
	for _, n := range nodes {
		b.size += int64(len(n))
	}
	l.built.Remove(ck) // a rebuild replaces: Add alone would not call the eviction callback
	l.bytes.Add(b.size)
	l.built.Add(ck, b)
	for l.bytes.Load() > l.opts.MaxBytes {
		if _, _, ok := l.built.RemoveOldest(); !ok {
			return
		}
	}
}

// scan reads the upstream's pages and keeps the nodes in scope, each id
// once: lists are newest first, so an object created during the scan
// shifts the next pages and repeats a node already read.
func (l *Lister) scan(ctx context.Context, r ListRequest) ([][]byte, error) {
	var kept [][]byte
	seen := map[int64]bool{}
	read := 0
	for page := 1; ; page++ {
		p := r.Path + "?" + string(r.Filters)
		if len(r.Filters) > 0 {
			p += "&"
		}
		p += "page=" + strconv.Itoa(page) + "&page_size=" + strconv.Itoa(l.opts.ScanPageSize)
		status, body, err := l.up.Fetch(ctx, p)
		switch {
		case err != nil:
			return nil, err
		case status != http.StatusOK:
			return nil, &UpstreamError{Status: status}
		}
		v, err := fastjson.ParseBytes(body)
		if err != nil {
			return nil, ErrMalformedBody
		}
		edges, err := arrayAt(v, "edges")
		if err != nil {
			return nil, ErrMalformedBody
		}
		for _, e := range edges {
			node, err := field(e, "node")
			if err != nil {
				return nil, err
			}
			ok, err := l.inScope(ctx, node, r)
			if err != nil {
				return nil, err
			}
			id, err := intField(node, "id")
			if err != nil {
				return nil, err
			}
			if ok && !seen[id] {
				seen[id] = true
				kept = append(kept, node.MarshalTo(nil))
			}
		}
		read += len(edges)
		info, err := field(v, "page_info")
		if err != nil {
			return nil, err
		}
		next, err := optField(info, "has_next_page")
		switch {
		case err != nil || next == nil || (next.Type() != fastjson.TypeTrue && next.Type() != fastjson.TypeFalse):
			return nil, ErrMalformedBody
		case next.Type() == fastjson.TypeFalse:
			return kept, nil
		case len(edges) == 0:
			// More is announced but nothing came: stopping here would
			// present a shortened list as complete.
			return nil, ErrMalformedBody
		case read >= l.opts.MaxScan:
			return nil, &ScanLimitError{Limit: l.opts.MaxScan}
		}
	}
}

func (l *Lister) inScope(ctx context.Context, node *fastjson.Value, r ListRequest) (bool, error) {
	if node == nil || node.Type() != fastjson.TypeObject {
		return false, ErrMalformedBody
	}
	if r.Check.Shape != NodesTarget {
		id, err := intField(node, r.Check.Field)
		if err != nil {
			return false, err
		}
		return r.Scope.Has(r.Check.Set, id), nil
	}
	id, err := intField(node, "target_id")
	if err != nil {
		return false, err
	}
	typ, err := stringField(node, "target_type")
	if err != nil {
		return false, err
	}
	kind := ClassifyTarget(typ)
	if kind == TargetTransaction {
		if _, err := l.owners.Lookup(ctx, TransactionOwner, id); err != nil && !errors.Is(err, ErrObjectNotFound) {
			return false, err
		}
	}
	return TargetInScope(r.Scope, kind, id, l.owners), nil
}
