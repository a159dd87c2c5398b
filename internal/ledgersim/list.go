package ledgersim

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// sortKey is what lists order and filter by in common.
type sortKey struct {
	id      int
	created time.Time
	name    string
}

// listable is an object the generic list code can order: its key, and the
// name of its name-like field ("" when it has none).
type listable interface {
	sortKey() sortKey
	nameField() string
}

func (x *Entity) sortKey() sortKey      { return sortKey{x.ID, x.CreatedOn, x.Name} }
func (x *Account) sortKey() sortKey     { return sortKey{x.ID, x.CreatedOn, x.Name} }
func (x *User) sortKey() sortKey        { return sortKey{x.ID, x.CreatedOn, x.Username} }
func (x *Group) sortKey() sortKey       { return sortKey{x.ID, x.CreatedOn, x.Name} }
func (x *Whitelist) sortKey() sortKey   { return sortKey{x.ID, x.CreatedOn, x.Name} }
func (x *Transaction) sortKey() sortKey { return sortKey{id: x.ID, created: x.CreatedOn} }
func (x *Request) sortKey() sortKey     { return sortKey{id: x.ID, created: x.CreatedOn} }
func (x *Digest) sortKey() sortKey      { return sortKey{id: x.ID, created: x.CreatedOn} }
func (x *Message) sortKey() sortKey     { return sortKey{id: x.ID, created: x.CreatedOn} }
func (x *stake) sortKey() sortKey       { return sortKey{id: x.id, created: x.createdOn} }
func (x *labelRow) sortKey() sortKey    { return sortKey{x.ID, x.CreatedOn, x.Name} }

func (*Entity) nameField() string      { return "name" }
func (*Account) nameField() string     { return "name" }
func (*User) nameField() string        { return "username" }
func (*Group) nameField() string       { return "name" }
func (*Whitelist) nameField() string   { return "name" }
func (*Transaction) nameField() string { return "" }
func (*Request) nameField() string     { return "" }
func (*Digest) nameField() string      { return "" }
func (*Message) nameField() string     { return "" }
func (*stake) nameField() string       { return "" }
func (*labelRow) nameField() string    { return "name" }

// pageReq is a list request's page and order.
type pageReq struct {
	page, size int
	orderBy    string // "id", "created_on" or a name field
	asc        bool
}

// Page sizes when page_size is not given.
const (
	defaultPageSize    = 20
	defaultNFTPageSize = 10
)

// pageOf reads page, page_size, order and order_by. nameField is what
// order_by may name besides id and created_on ("" for nothing else).
func pageOf(q query, defSize, maxSize int, nameField string) (pageReq, error) {
	p := pageReq{page: 1, size: defSize, orderBy: "created_on"}
	if n, ok := q.int("page"); ok {
		p.page = n
	}
	if n, ok := q.int("page_size"); ok {
		p.size = n
	}
	switch {
	case p.page < 1 || p.size < -1: // the spec's minimums, should a route lack them
		return p, badQueryf("parameter \"page\" must be at least 1 and \"page_size\" at least -1")
	case p.size == 0 || p.size == -1:
		p.size = maxSize
	case p.size > maxSize:
		return p, badQueryf("parameter \"page_size\" must be at most %d, got %d", maxSize, p.size)
	}
	if o, ok := q.str("order"); ok {
		p.asc = o == "asc"
	}
	if by, ok := q.str("order_by"); ok {
		allowed := []string{"id", "created_on"}
		if nameField != "" {
			allowed = append(allowed, nameField)
		}
		if !slices.Contains(allowed, by) {
			return p, badQueryf("parameter \"order_by\" must be one of %s, got %q", strings.Join(allowed, ", "), by)
		}
		p.orderBy = by
	}
	return p, nil
}

// compare orders keys by p.orderBy ascending, ties by id.
func (p pageReq) compare(a, b sortKey) int {
	var c int
	switch p.orderBy {
	case "id":
	case "created_on":
		c = a.created.Compare(b.created)
	default:
		c = strings.Compare(a.name, b.name)
	}
	if c == 0 {
		c = cmp.Compare(a.id, b.id)
	}
	if !p.asc {
		c = -c
	}
	return c
}

// sortItems orders items in place (they are the caller's own slice).
// Collections are kept oldest first, so the usual newest-first order is a
// reverse, not a sort; the order is total (ties fall to the id), so the
// reverse of ascending is descending.
func sortItems[T listable](items []T, p pageReq) {
	f := func(a, b T) int { return p.compare(a.sortKey(), b.sortKey()) }
	if slices.IsSortedFunc(items, f) {
		return
	}
	if slices.IsSortedFunc(items, func(a, b T) int { return f(b, a) }) {
		slices.Reverse(items)
		return
	}
	slices.SortFunc(items, f)
}

// edge and envelope are the spec's pagination shape.
type edge struct {
	Cursor int `json:"cursor"`
	Node   any `json:"node"`
}

type pageInfo struct {
	Count       int  `json:"count"`
	HasNextPage bool `json:"has_next_page"`
}

type envelope struct {
	Edges    []edge   `json:"edges"`
	PageInfo pageInfo `json:"page_info"`
}

// paginate cuts page p out of items (already filtered and ordered): the
// cursor is the item's index in the whole result, count the whole size.
func paginate[T any](items []T, p pageReq, render func(T) any) envelope {
	start := len(items)
	if p.page-1 <= len(items)/max(p.size, 1) {
		start = min((p.page-1)*p.size, len(items))
	}
	end := min(start+p.size, len(items))
	env := envelope{Edges: make([]edge, 0, end-start), PageInfo: pageInfo{Count: len(items), HasNextPage: end < len(items)}}
	for i := start; i < end; i++ {
		env.Edges = append(env.Edges, edge{Cursor: i, Node: render(items[i])})
	}
	return env
}

func identity[T any](x T) any { return x }

// filter returns the items every predicate keeps, in a new slice.
func filter[T any](items []T, preds []func(T) bool) []T {
	out := make([]T, 0, len(items))
next:
	for _, x := range items {
		for _, p := range preds {
			if !p(x) {
				continue next
			}
		}
		out = append(out, x)
	}
	return out
}

// commonFilters are id, created_after and created_before, which nearly
// every list takes. Both dates are exclusive.
func commonFilters[T listable](q query) []func(T) bool {
	var ps []func(T) bool
	if id, ok := q.int("id"); ok {
		ps = append(ps, func(x T) bool { return x.sortKey().id == id })
	}
	if t, ok := q.time("created_after"); ok {
		ps = append(ps, func(x T) bool { return x.sortKey().created.After(t) })
	}
	if t, ok := q.time("created_before"); ok {
		ps = append(ps, func(x T) bool { return x.sortKey().created.Before(t) })
	}
	return ps
}

// list filters, orders and pages items with the common filters plus preds.
func list[T listable](c *call, items []T, preds []func(T) bool) (any, error) {
	return listAs(c, items, preds, identity[T])
}

// listAs is list with nodes rendered by render.
func listAs[T listable](c *call, items []T, preds []func(T) bool, render func(T) any) (any, error) {
	var zero T
	p, err := pageOf(c.q, defaultPageSize, c.maxPageSize, zero.nameField())
	if err != nil {
		return nil, err
	}
	out := filter(items, append(commonFilters[T](c.q), preds...))
	sortItems(out, p)
	return paginate(out, p, render), nil
}

// set turns ids into a membership test.
func set(ids []int) map[int]bool {
	m := make(map[int]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// anyOf is true when xs and the set share an element.
func anyOf(xs []int, s map[int]bool) bool {
	for _, x := range xs {
		if s[x] {
			return true
		}
	}
	return false
}
