package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Entities are read from the upstream with the operator's credentials
// (GET /entities, every page) and kept for directoryTTL, so admins pick them
// by name and every page shows names rather than numbers.

const (
	directoryTTL      = 30 * time.Second
	directoryPageSize = 100
	// directoryMaxPages bounds one read: 10,000 entities is far beyond a
	// workspace's, and an upstream that never stops paging cannot hold a page.
	directoryMaxPages = 100
)

var errUpstream = errors.New("console: the upstream's entities could not be read")

// entity is one upstream entity as the console shows it.
type entity struct {
	ID       int64
	Name     string
	Status   string
	Accounts int
}

// entityRef is an entity named on a page; Known is false when the upstream
// no longer lists it (or could not be asked).
type entityRef struct {
	ID    int64
	Name  string
	Known bool
}

type directory struct {
	up    Upstream
	now   func() time.Time
	group singleflight.Group

	mu      sync.Mutex
	list    []entity
	byID    map[int64]entity
	fetched time.Time
}

func newDirectory(up Upstream, now func() time.Time) *directory {
	return &directory{up: up, now: now}
}

// all returns every entity, sorted by name, from the cache or the upstream.
func (d *directory) all(ctx context.Context) ([]entity, map[int64]entity, error) {
	d.mu.Lock()
	if d.list != nil && d.now().Sub(d.fetched) < directoryTTL {
		list, byID := d.list, d.byID
		d.mu.Unlock()
		return list, byID, nil
	}
	d.mu.Unlock()
	_, err, _ := d.group.Do("all", func() (any, error) {
		list, err := d.fetch(ctx)
		if err != nil {
			return nil, err
		}
		byID := make(map[int64]entity, len(list))
		for _, e := range list {
			byID[e.ID] = e
		}
		d.mu.Lock()
		d.list, d.byID, d.fetched = list, byID, d.now()
		d.mu.Unlock()
		return nil, nil
	})
	if err != nil {
		return nil, nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.list, d.byID, nil
}

type entityPage struct {
	Edges []struct {
		Node struct {
			ID       int64   `json:"id"`
			Name     string  `json:"name"`
			Status   string  `json:"status"`
			Accounts []int64 `json:"accounts"`
		} `json:"node"`
	} `json:"edges"`
	PageInfo struct {
		HasNextPage bool `json:"has_next_page"`
	} `json:"page_info"`
}

func (d *directory) fetch(ctx context.Context) ([]entity, error) {
	var out []entity
	for page := 1; page <= directoryMaxPages; page++ {
		status, body, err := d.up.Fetch(ctx, "/entities?page="+strconv.Itoa(page)+"&page_size="+strconv.Itoa(directoryPageSize))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errUpstream, err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("%w: GET /entities answered %d", errUpstream, status)
		}
		var p entityPage
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, fmt.Errorf("%w: %w", errUpstream, err)
		}
		for _, e := range p.Edges {
			n := e.Node
			out = append(out, entity{ID: n.ID, Name: n.Name, Status: n.Status, Accounts: len(n.Accounts)})
		}
		if !p.PageInfo.HasNextPage {
			break
		}
	}
	slices.SortFunc(out, func(a, b entity) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return out, nil
}

// refs names ids. When the upstream cannot be read the page still shows,
// with numbers ("Entity 7").
func (d *directory) refs(ctx context.Context, ids []int64) []entityRef {
	_, byID, _ := d.all(ctx)
	out := make([]entityRef, 0, len(ids))
	for _, id := range ids {
		if e, ok := byID[id]; ok {
			out = append(out, entityRef{ID: id, Name: e.Name, Known: true})
		} else {
			out = append(out, entityRef{ID: id, Name: "Entity " + strconv.FormatInt(id, 10)})
		}
	}
	return out
}

// search returns the entities whose name contains q (any case), or all.
func (d *directory) search(ctx context.Context, q string) ([]entity, error) {
	list, _, err := d.all(ctx)
	if err != nil {
		return nil, err
	}
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return list, nil
	}
	var out []entity
	for _, e := range list {
		if strings.Contains(strings.ToLower(e.Name), q) {
			out = append(out, e)
		}
	}
	return out, nil
}
