package ledgersim

import (
	"fmt"
	"time"
)

// baseTime anchors every seeded created_on, so the data set does not depend
// on when it was generated.
var baseTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Seeded timelines. Accounts are created in pairs and transactions in
// threes at the same instant, so the newest-first order needs its id
// tie-break.
func userTime(id int) time.Time  { return baseTime.Add(time.Duration(id) * 2 * time.Hour) }
func groupTime(id int) time.Time { return baseTime.Add(4*24*time.Hour + time.Duration(id)*3*time.Hour) }
func whitelistTime(id int) time.Time {
	return baseTime.Add(6*24*time.Hour + time.Duration(id)*3*time.Hour)
}
func entityTime(id int) time.Time {
	return baseTime.Add(8*24*time.Hour + time.Duration(id)*6*time.Hour)
}
func accountTime(id int) time.Time {
	return baseTime.Add(12*24*time.Hour + time.Duration((id+1)/2)*4*time.Hour)
}
func transactionTime(id int) time.Time {
	return baseTime.Add(30*24*time.Hour + time.Duration(id/3)*20*time.Minute)
}
func digestTime(id int) time.Time {
	return baseTime.Add(45*24*time.Hour + time.Duration(id)*90*time.Minute)
}
func messageTime(id int) time.Time { return digestTime(id).Add(45 * time.Minute) }
func requestTime(id int) time.Time {
	return baseTime.Add(20*24*time.Hour + time.Duration(id)*47*time.Minute)
}

// gen builds a store from a Config. Each collection draws from its own
// random stream (newRand with the collection's name).
type gen struct {
	cfg Config
	st  *store
	// pools of user, group and whitelist ids per entity (index 0: the
	// shared pool, index e: entity e's own), so that some governance
	// objects are referenced by the accounts of one entity only.
	userPool, groupPool, whitelistPool [][]int
	admins, operators                  []int
}

// generate returns the seeded data set for cfg. It depends on nothing but
// cfg's seed and sizes.
func generate(cfg Config) *store {
	g := &gen{cfg: cfg, st: newStore()}
	g.users()
	g.groups()
	g.whitelists()
	g.entities()
	g.accounts()
	g.transactions()
	g.digests()
	g.messages()
	g.requests()
	g.stakes()
	g.pledges()
	return g.st
}

// homeOf assigns the k-th object of a kind to an entity pool: 1..E for the
// entities, 0 for the shared pool, cycling so each pool gets some.
func (g *gen) homeOf(k int) int {
	return (k + 1) % (g.cfg.Entities + 1)
}

func (g *gen) pools() [][]int { return make([][]int, g.cfg.Entities+1) }

func (g *gen) users() {
	r := newRand(g.cfg.Seed, "users")
	n := g.cfg.Users
	g.st.users = make([]*User, 0, n)
	g.userPool = g.pools()
	for id := 1; id <= n; id++ {
		u := &User{ID: id, Role: "OPERATOR", Status: "ACTIVE", CreatedBy: 1, CreatedOn: userTime(id)}
		switch {
		case id == n && n > 1:
			u.Username, u.IsAPI = g.cfg.APIUser, true
		case id <= 3 && n > 4:
			u.Role, u.Username = "ADMIN", fmt.Sprintf("admin-%d", id)
			g.admins = append(g.admins, id)
		default:
			u.Username = fmt.Sprintf("%s.%02d", pick(r, firstNames), id)
			u.Status = pick(r, []string{"ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "ACCESS_SUSPENDED", "PENDING_REGISTRATION"})
			k := len(g.operators)
			g.operators = append(g.operators, id)
			g.userPool[g.homeOf(k)] = append(g.userPool[g.homeOf(k)], id)
		}
		if !u.IsAPI {
			u.UserID = ptr(randHex(r, 16))
			u.PubKey = ptr("04" + randHex(r, 128))
			u.KeyHandle = ptr(randHex(r, 64))
		}
		g.st.users = append(g.st.users, u)
	}
	if len(g.operators) == 0 { // tiny data sets: everyone operates
		g.operators = []int{1}
		g.userPool[0] = []int{1}
	}
	if len(g.admins) == 0 {
		g.admins = []int{1}
	}
}

func (g *gen) entityName(e int) string {
	if e >= 1 && e <= len(entityNames) {
		return entityNames[e-1]
	}
	return fmt.Sprintf("Entity %d", e)
}

func (g *gen) groups() {
	r := newRand(g.cfg.Seed, "groups")
	n := g.cfg.Groups
	g.st.groups = make([]*Group, 0, n)
	g.groupPool = g.pools()
	for id := 1; id <= n; id++ {
		home := 0
		if id < n && id <= g.cfg.Entities {
			home = id // the last group is always shared
		}
		g.groupPool[home] = append(g.groupPool[home], id)
		name, desc := fmt.Sprintf("Shared approvers %d", id), "Approvers shared by several entities"
		if home != 0 {
			name = g.entityName(home) + " signers"
			desc = "Approvers of the " + g.entityName(home) + " accounts"
		}
		members := pickN(r, g.poolOrShared(g.userPool, home), 2+r.IntN(3))
		status := pick(r, []string{"ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "PENDING"})
		g.st.groups = append(g.st.groups, &Group{
			ID: id, Name: name, Description: desc, Status: status, Members: members,
			CreatedBy: pick(r, g.admins), CreatedOn: groupTime(id),
		})
	}
}

// poolOrShared returns pool[home], or the shared pool, or every operator,
// the first that is not empty.
func (g *gen) poolOrShared(pool [][]int, home int) []int {
	if len(pool[home]) > 0 {
		return pool[home]
	}
	if len(pool[0]) > 0 {
		return pool[0]
	}
	return g.operators
}

func (g *gen) whitelists() {
	r := newRand(g.cfg.Seed, "whitelists")
	n := g.cfg.Whitelists
	g.st.whitelists = make([]*Whitelist, 0, n)
	g.whitelistPool = g.pools()
	addrID := 0
	for id := 1; id <= n; id++ {
		home := g.homeOf(id - 1)
		g.whitelistPool[home] = append(g.whitelistPool[home], id)
		name := fmt.Sprintf("Shared exchanges %d", id)
		if home != 0 {
			name = fmt.Sprintf("%s counterparties %d", g.entityName(home), id)
		}
		wl := &Whitelist{ID: id, Name: name, Status: pick(r, []string{"ACTIVE", "ACTIVE", "ACTIVE", "PENDING"}),
			CreatedBy: pick(r, g.admins), CreatedOn: whitelistTime(id), Addresses: []WhitelistAddress{}}
		for k := range 1 + r.IntN(3) {
			addrID++
			c := pick(r, coins)
			wa := WhitelistAddress{ID: addrID, Name: fmt.Sprintf("%s address %d", c.ticker, k+1),
				Address: randAddress(r, c.family), Currency: c.currency}
			if c.family == "ripple" {
				wa.DestinationTags = []int{r.IntN(1_000_000)}
			}
			wl.Addresses = append(wl.Addresses, wa)
		}
		g.st.whitelists = append(g.st.whitelists, wl)
	}
}

func (g *gen) entities() {
	n := g.cfg.Entities
	g.st.entities = make([]*Entity, 0, n)
	for id := 1; id <= n; id++ {
		status := "ACTIVE"
		if id == n && n >= 4 {
			status = "PENDING"
		}
		g.st.entities = append(g.st.entities, &Entity{ID: id, Name: g.entityName(id), Status: status,
			Accounts: []int{}, CreatedBy: g.admins[0], CreatedOn: entityTime(id)})
	}
}
