package policy

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/valyala/fastjson"
	"golang.org/x/sync/singleflight"
)

// ErrScanLimit: a scoped list would need to read more upstream objects than
// the configured limit. The partner narrows the search with filters.
var ErrScanLimit = errors.New("policy: too many objects to scan for this list; narrow it with filters")

// ListerOptions configure a Lister.
type ListerOptions struct {
	// MaxScan bounds the upstream objects read to build one list. Default 10000.
	MaxScan int
	// ScanPageSize is the page size of upstream reads. Default 100.
	ScanPageSize int
	// TTL is how long a built list is reused for the next pages of the same
	// key and filters, so paging through costs one scan. Default 5s.
	TTL time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Lister builds the pages of the scoped-list strategy (/users, /groups,
// /requests): the upstream has no filter that carries a whole scope, so it
// reads the upstream's pages with the caller's other filters, keeps the
// objects in scope, and answers an honest page_info. Safe for concurrent use.
type Lister struct {
	up     Upstream
	owners *Owners
	opts   ListerOptions
	built  *lru.Cache[string, *builtList]
	group  singleflight.Group
}

type builtList struct {
	nodes [][]byte // raw JSON of the in-scope nodes, in upstream order
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
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c, err := lru.New[string, *builtList](1024)
	if err != nil {
		return nil, err
	}
	return &Lister{up: up, owners: owners, opts: opts, built: c}, nil
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

// Page returns the requested page in the upstream's envelope.
func (l *Lister) Page(ctx context.Context, r ListRequest) ([]byte, error) {
	all, err := l.list(ctx, r)
	if err != nil {
		return nil, err
	}
	total := int64(len(all))
	from := (r.Page - 1) * r.Size
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
		l.built.Add(ck, &builtList{nodes: nodes, at: l.opts.Now()})
		return nodes, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([][]byte), nil
}

// scan reads the upstream's pages and keeps the nodes in scope.
func (l *Lister) scan(ctx context.Context, r ListRequest) ([][]byte, error) {
	var kept [][]byte
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
			node := e.Get("node")
			ok, err := l.inScope(ctx, node, r)
			if err != nil {
				return nil, err
			}
			if ok {
				kept = append(kept, node.MarshalTo(nil))
			}
		}
		read += len(edges)
		if !v.GetBool("page_info", "has_next_page") || len(edges) == 0 {
			return kept, nil
		}
		if read >= l.opts.MaxScan {
			return nil, ErrScanLimit
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
	kind := ClassifyTarget(node.GetStringBytes("target_type"))
	if kind == TargetTransaction {
		if _, err := l.owners.Lookup(ctx, TransactionOwner, id); err != nil && !errors.Is(err, ErrObjectNotFound) {
			return false, err
		}
	}
	return TargetInScope(r.Scope, kind, id, l.owners), nil
}
