package ledgersim

import (
	"slices"
	"strings"
)

// This file serves entities, users, groups and whitelists.

// getByID returns the object a path parameter names, or what's 404.
func getByID[T any](c *call, xs []*T, param, what string) (*T, error) {
	id, _ := c.pathInt(param)
	if x := byID(xs, id); x != nil {
		return x, nil
	}
	return nil, notFound(what)
}

// historyOf answers an object's history after checking it exists.
func historyOf[T any](c *call, xs []*T, param, what, kind string) (any, error) {
	id, _ := c.pathInt(param)
	if byID(xs, id) == nil {
		return nil, notFound(what)
	}
	return c.history(kind, id), nil
}

// stringIn keeps objects whose field is one of the parameter's values.
func stringIn[T any](q query, param string, field func(T) string) []func(T) bool {
	vals := q.strs(param)
	if len(vals) == 0 {
		return nil
	}
	return []func(T) bool{func(x T) bool { return slices.Contains(vals, field(x)) }}
}

func getEntity(c *call) (any, error) { return getByID(c, c.st.entities, "entity_id", "Entity") }

func entityHistory(c *call) (any, error) {
	return historyOf(c, c.st.entities, "entity_id", "Entity", "ENTITY")
}

func listEntities(c *call) (any, error) {
	var ps []func(*Entity) bool
	if ids := c.q.ints("account"); len(ids) > 0 {
		s := set(ids)
		ps = append(ps, func(e *Entity) bool { return anyOf(e.Accounts, s) })
	}
	ps = append(ps, stringIn(c.q, "name", func(e *Entity) string { return e.Name })...)
	ps = append(ps, stringIn(c.q, "status", func(e *Entity) string { return e.Status })...)
	return list(c, c.st.entities, ps)
}

// entityUsers: the users in the governance of the entity's accounts, by
// id, as {"users": [...]}.
func entityUsers(c *call) (any, error) {
	e, err := getByID(c, c.st.entities, "entity_id", "Entity")
	if err != nil {
		return nil, err
	}
	ids := map[int]bool{}
	for _, id := range e.Accounts {
		for u := range c.st.accountUsers(c.st.accounts[id-1]) {
			ids[u] = true
		}
	}
	users := []*User{}
	for _, id := range sortedKeys(ids) {
		if u := byID(c.st.users, id); u != nil {
			users = append(users, u)
		}
	}
	return struct {
		Users []*User `json:"users"`
	}{users}, nil
}

func getUser(c *call) (any, error) { return getByID(c, c.st.users, "user_id", "User") }

func userHistory(c *call) (any, error) {
	return historyOf(c, c.st.users, "user_id", "User", "USER")
}

func listUsers(c *call) (any, error) {
	q, st := c.q, c.st
	var ps []func(*User) bool
	if id, ok := q.int("account"); ok {
		members := map[int]bool{}
		if a := byID(st.accounts, id); a != nil {
			members = st.accountUsers(a)
		}
		ps = append(ps, func(u *User) bool { return members[u.ID] })
	}
	if id, ok := q.int("group"); ok {
		var members []int
		if g := byID(st.groups, id); g != nil {
			members = g.Members
		}
		ps = append(ps, func(u *User) bool { return slices.Contains(members, u.ID) })
	}
	ps = append(ps, stringIn(q, "role", func(u *User) string { return u.Role })...)
	ps = append(ps, stringIn(q, "status", func(u *User) string { return u.Status })...)
	ps = append(ps, stringIn(q, "username", func(u *User) string { return u.Username })...)
	return list(c, st.users, ps)
}

func getGroup(c *call) (any, error) { return getByID(c, c.st.groups, "group_id", "Group") }

func groupHistory(c *call) (any, error) {
	return historyOf(c, c.st.groups, "group_id", "Group", "GROUP")
}

// listGroups: members[] keeps groups with any of the users; description
// is a substring match ("objects that contain the entered description").
func listGroups(c *call) (any, error) {
	q := c.q
	var ps []func(*Group) bool
	if ids := q.ints("members"); len(ids) > 0 {
		s := set(ids)
		ps = append(ps, func(g *Group) bool { return anyOf(g.Members, s) })
	}
	if d, ok := q.str("description"); ok {
		ps = append(ps, func(g *Group) bool { return strings.Contains(g.Description, d) })
	}
	ps = append(ps, stringIn(q, "name", func(g *Group) string { return g.Name })...)
	ps = append(ps, stringIn(q, "status", func(g *Group) string { return g.Status })...)
	return list(c, c.st.groups, ps)
}

func getWhitelist(c *call) (any, error) {
	return getByID(c, c.st.whitelists, "whitelist_id", "Whitelist")
}

func whitelistHistory(c *call) (any, error) {
	return historyOf(c, c.st.whitelists, "whitelist_id", "Whitelist", "WHITELIST")
}

// listWhitelists: account[] keeps the whitelists the accounts' WHITELIST
// rules name. The spec's Whitelist has no description, so a description
// filter matches nothing.
func listWhitelists(c *call) (any, error) {
	q, st := c.q, c.st
	var ps []func(*Whitelist) bool
	if ids := q.ints("account"); len(ids) > 0 {
		used := map[int]bool{}
		for _, id := range ids {
			if a := byID(st.accounts, id); a != nil {
				for _, w := range governanceOf(a).whitelists {
					used[w] = true
				}
			}
		}
		ps = append(ps, func(w *Whitelist) bool { return used[w.ID] })
	}
	if addr, ok := q.str("address"); ok {
		ps = append(ps, func(w *Whitelist) bool {
			return slices.ContainsFunc(w.Addresses, func(a WhitelistAddress) bool { return a.Address == addr })
		})
	}
	if q.has("description") {
		ps = append(ps, func(*Whitelist) bool { return false })
	}
	ps = append(ps, stringIn(q, "name", func(w *Whitelist) string { return w.Name })...)
	ps = append(ps, stringIn(q, "status", func(w *Whitelist) string { return w.Status })...)
	return list(c, st.whitelists, ps)
}
