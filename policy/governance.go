package policy

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// entitySnapshot is what one entity covers, as read from the upstream:
// Entity.accounts, and the users, groups and whitelists of those accounts'
// governance rules (group members count as users).
type entitySnapshot struct {
	Entity     int64     `json:"entity"`
	Exists     bool      `json:"exists"`
	Accounts   []int64   `json:"accounts"`
	Users      []int64   `json:"users"`
	Groups     []int64   `json:"groups"`
	Whitelists []int64   `json:"whitelists"`
	Fetched    time.Time `json:"fetched"`
}

// snapshotPageSize is the page size of the governance scan.
const snapshotPageSize = 100

// maxSnapshotPages bounds the governance scan of one entity, so an upstream
// that never stops paging cannot hold a request for ever.
const maxSnapshotPages = 1000

// fetchSnapshot reads one entity's scope from the upstream.
func fetchSnapshot(ctx context.Context, up Upstream, entity int64, now time.Time) (*entitySnapshot, error) {
	snap := &entitySnapshot{Entity: entity, Fetched: now}
	status, body, err := up.Fetch(ctx, "/entities/"+strconv.FormatInt(entity, 10))
	switch {
	case err != nil:
		return nil, err
	case status == http.StatusNotFound:
		return snap, nil // a deleted entity covers nothing
	case status != http.StatusOK:
		return nil, &UpstreamError{Status: status}
	}
	v, err := fastjson.ParseBytes(body)
	if err != nil {
		return nil, ErrMalformedBody
	}
	if snap.Accounts, err = intArray(v.Get("accounts")); err != nil {
		return nil, err
	}
	snap.Exists = true
	members := NewIDSet(append([]int64(nil), snap.Accounts...))
	g := &governance{}
	seen, err := scanAccounts(ctx, up, entity, members, g)
	if err != nil {
		return nil, err
	}
	for _, id := range members { // listed in the entity but not by the search
		if !seen[id] {
			if err := fetchAccount(ctx, up, id, g); err != nil {
				return nil, err
			}
		}
	}
	if err := g.expandGroups(ctx, up); err != nil {
		return nil, err
	}
	snap.Users, snap.Groups, snap.Whitelists = NewIDSet(g.users), NewIDSet(g.groups), NewIDSet(g.whitelists)
	return snap, nil
}

// scanAccounts pages through the entity's accounts and reads the governance
// of those the entity lists.
func scanAccounts(ctx context.Context, up Upstream, entity int64, members IDSet, g *governance) (map[int64]bool, error) {
	seen := map[int64]bool{}
	if len(members) == 0 {
		return seen, nil
	}
	for page := 1; page <= maxSnapshotPages; page++ {
		p := fmt.Sprintf("/accounts?entity=%d&page=%d&page_size=%d", entity, page, snapshotPageSize)
		v, err := fetchJSON(ctx, up, p)
		if err != nil {
			return nil, err
		}
		edges, err := arrayAt(v, "edges")
		if err != nil {
			return nil, ErrMalformedBody
		}
		for _, e := range edges {
			node := e.Get("node")
			id, err := intField(node, "id")
			if err != nil {
				return nil, err
			}
			if !members.Has(id) { // the entity's own list is the truth
				continue
			}
			seen[id] = true
			if err := g.add(node.Get("governance_rules")); err != nil {
				return nil, err
			}
		}
		if !v.GetBool("page_info", "has_next_page") {
			return seen, nil
		}
	}
	return nil, fmt.Errorf("policy: entity %d: more than %d pages of accounts", entity, maxSnapshotPages)
}

func fetchAccount(ctx context.Context, up Upstream, id int64, g *governance) error {
	v, err := fetchJSON(ctx, up, "/accounts/"+strconv.FormatInt(id, 10))
	if err == ErrObjectNotFound {
		return nil // listed by the entity but gone: no governance to add
	}
	if err != nil {
		return err
	}
	return g.add(v.Get("governance_rules"))
}

func fetchJSON(ctx context.Context, up Upstream, p string) (*fastjson.Value, error) {
	status, body, err := up.Fetch(ctx, p)
	switch {
	case err != nil:
		return nil, err
	case status == http.StatusNotFound:
		return nil, ErrObjectNotFound
	case status != http.StatusOK:
		return nil, &UpstreamError{Status: status}
	}
	v, err := fastjson.ParseBytes(body)
	if err != nil {
		return nil, ErrMalformedBody
	}
	return v, nil
}

// governance accumulates the references of accounts' governance rules.
type governance struct {
	users, groups, whitelists []int64
}

// add reads an Account.governance_rules value (AccountRuleSet[]).
func (g *governance) add(ruleSets *fastjson.Value) error {
	if ruleSets == nil || ruleSets.Type() == fastjson.TypeNull {
		return nil
	}
	sets, err := ruleSets.Array()
	if err != nil {
		return ErrMalformedBody
	}
	for _, set := range sets {
		rules, err := arrayAt(set, "rules")
		if err != nil {
			return ErrMalformedBody
		}
		for _, rule := range rules {
			if err := g.addRule(rule); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *governance) addRule(rule *fastjson.Value) error {
	data, err := arrayAt(rule, "data")
	if err != nil {
		return ErrMalformedBody
	}
	switch string(rule.GetStringBytes("type")) {
	case "MULTI_AUTHORIZATIONS":
		for _, d := range data {
			if grp := d.Get("group"); grp != nil {
				id, err := intField(d, "group")
				if err != nil {
					return err
				}
				g.groups = append(g.groups, id)
			}
			if users := d.Get("users"); users != nil {
				ids, err := intArray(users)
				if err != nil {
					return err
				}
				g.users = append(g.users, ids...)
			}
		}
	case "WHITELIST":
		for _, d := range data {
			id, err := intField(d, "whitelist")
			if err != nil {
				return err
			}
			g.whitelists = append(g.whitelists, id)
		}
	}
	return nil
}

// expandGroups adds the members of every referenced group to the users.
func (g *governance) expandGroups(ctx context.Context, up Upstream) error {
	for _, id := range NewIDSet(g.groups) {
		v, err := fetchJSON(ctx, up, "/groups/"+strconv.FormatInt(id, 10))
		if err == ErrObjectNotFound {
			continue // a rule naming a deleted group grants nobody
		}
		if err != nil {
			return err
		}
		members, err := intArray(v.Get("members"))
		if err != nil {
			return err
		}
		g.users = append(g.users, members...)
	}
	return nil
}

func intArray(v *fastjson.Value) ([]int64, error) {
	if v == nil {
		return nil, ErrMalformedBody
	}
	arr, err := v.Array()
	if err != nil {
		return nil, ErrMalformedBody
	}
	out := make([]int64, 0, len(arr))
	for _, x := range arr {
		if x.Type() == fastjson.TypeNull {
			continue // the spec allows null members
		}
		n, err := x.Int64()
		if err != nil {
			return nil, ErrMalformedBody
		}
		out = append(out, n)
	}
	return out, nil
}
