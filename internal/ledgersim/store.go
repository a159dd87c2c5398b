package ledgersim

import (
	"slices"
	"time"
)

// store is the data set and its indexes. It is not safe for concurrent use
// on its own: Server.mu guards it.
//
// Published objects are immutable: a change replaces the object (and any
// index slice) with a new one, so a reader may keep pointers it took under
// the read lock and encode them after releasing it.
type store struct {
	entities     []*Entity // entities[id-1]; the same for every collection
	accounts     []*Account
	users        []*User
	groups       []*Group
	whitelists   []*Whitelist
	transactions []*Transaction
	requests     []*Request
	digests      []*Digest
	messages     []*Message

	votes       []votes // votes[request id-1]
	stakes      []*stake
	pledges     []*pledge
	settlements []*settlement

	entityOf          map[int]int   // account id → entity id (absent: none)
	children          map[int][]int // parent account id → ERC-20 children ids, ascending
	txByAccount       map[int][]int // account id → transaction ids, ascending
	digestsByAccount  map[int][]int
	messagesByAccount map[int][]int
	stakesByAccount   map[int][]int // account id → stake indexes
	requestsByTarget  map[target][]int
	nextRuleID        int
}

// target is what a request points at.
type target struct {
	kind string // Request.target_type
	id   int
}

// votes are a request's approvers and what each did; the Request schema is
// closed, so they live beside it. They back the approved_by, pending_by and
// rejected_by filters and /requests/{id}/governance-status.
type votes struct {
	approvers  []int
	approvedBy []int
	rejectedBy []int
	pendingBy  []int
}

// stake is a staking position of a Cardano, Ethereum, Solana or Tezos
// account, created by one of its transactions.
type stake struct {
	id          int
	family      string // cardano, ethereum, solana or tezos
	accountID   int
	uid         string
	creationTx  int
	status      string
	amount      string
	validator   string
	totalReward string
	createdBy   int
	createdOn   time.Time
}

// pledge is a Tradelink pledge (schema Pledge); n is its position, which
// GET /pledges/{pledge_id} takes since the spec's path id is an integer
// while Pledge.id is a UUID.
type pledge struct {
	n                  int
	id                 string
	accountID          int
	subaccountID       int
	amount, pending    int64
	state              string
	assetManager, exch int // indexes into the Tradelink counterparties
}

// settlement is a Tradelink settlement (schema Settlement).
type settlement struct {
	n          int
	id         string
	fromPledge string
	state      string
}

func newStore() *store {
	return &store{
		entityOf:          map[int]int{},
		children:          map[int][]int{},
		txByAccount:       map[int][]int{},
		digestsByAccount:  map[int][]int{},
		messagesByAccount: map[int][]int{},
		stakesByAccount:   map[int][]int{},
		requestsByTarget:  map[target][]int{},
	}
}

// byID returns the object with id from a collection whose ids are 1..n.
func byID[T any](xs []*T, id int) *T {
	if id < 1 || id > len(xs) {
		return nil
	}
	return xs[id-1]
}

// appendIndex adds id to an index entry, replacing the slice so readers of
// the old one are unaffected.
func appendIndex[K comparable](m map[K][]int, k K, id int) {
	old := m[k]
	next := make([]int, len(old), len(old)+1)
	copy(next, old)
	m[k] = append(next, id)
}

// linkRequest records r in the target index and as its target's
// last_request.
func (st *store) linkRequest(r *Request) {
	appendIndex(st.requestsByTarget, target{r.TargetType, r.TargetID}, r.ID)
	id := r.ID
	switch r.TargetType {
	case "ACCOUNT":
		replace(st.accounts, r.TargetID, func(x *Account) { x.LastRequest = &id })
	case "TRANSACTION":
		replace(st.transactions, r.TargetID, func(x *Transaction) { x.LastRequest = &id })
	case "USER":
		replace(st.users, r.TargetID, func(x *User) { x.LastRequest = &id })
	case "GROUP":
		replace(st.groups, r.TargetID, func(x *Group) { x.LastRequest = &id })
	case "WHITELIST":
		replace(st.whitelists, r.TargetID, func(x *Whitelist) { x.LastRequest = &id })
	case "ENTITY":
		replace(st.entities, r.TargetID, func(x *Entity) { x.LastRequest = &id })
	case "DIGESTS":
		replace(st.digests, r.TargetID, func(x *Digest) { x.LastRequest = &id })
	case "MESSAGE":
		replace(st.messages, r.TargetID, func(x *Message) { x.LastRequest = &id })
	}
}

// replace swaps the object with id for an edited copy (published objects
// are never changed in place).
func replace[T any](xs []*T, id int, edit func(*T)) {
	if x := byID(xs, id); x != nil {
		c := *x
		edit(&c)
		xs[id-1] = &c
	}
}

// size is how many objects of a request target type exist (ids 1..size).
func (st *store) size(kind string) int {
	return map[string]int{
		"ACCOUNT": len(st.accounts), "TRANSACTION": len(st.transactions), "USER": len(st.users),
		"GROUP": len(st.groups), "WHITELIST": len(st.whitelists), "ENTITY": len(st.entities),
		"DIGESTS": len(st.digests), "MESSAGE": len(st.messages),
	}[kind]
}

// exists reports whether a request target exists.
func (st *store) exists(kind string, id int) bool {
	return id >= 1 && id <= st.size(kind)
}

// governance is what an account's rules reference.
type governance struct {
	users      []int // named directly in MULTI_AUTHORIZATIONS rules
	groups     []int
	whitelists []int
}

func governanceOf(a *Account) governance {
	var g governance
	for _, rs := range a.GovernanceRules {
		for _, rule := range rs.Rules {
			for _, e := range rule.Data {
				switch {
				case rule.Type == RuleMultiAuth && e.Group != nil:
					g.groups = append(g.groups, *e.Group)
				case rule.Type == RuleMultiAuth:
					g.users = append(g.users, e.Users...)
				case rule.Type == RuleWhitelist && e.Whitelist != nil:
					g.whitelists = append(g.whitelists, *e.Whitelist)
				}
			}
		}
	}
	return g
}

// accountUsers returns the users in a's governance: named directly or
// members of a group its rules name.
func (st *store) accountUsers(a *Account) map[int]bool {
	g := governanceOf(a)
	set := make(map[int]bool, len(g.users))
	for _, u := range g.users {
		set[u] = true
	}
	for _, gid := range g.groups {
		if grp := byID(st.groups, gid); grp != nil {
			for _, u := range grp.Members {
				set[u] = true
			}
		}
	}
	return set
}

// datasetView holds the published pointers, for encoding only.
type datasetView struct {
	Entities     []*Entity      `json:"entities"`
	Accounts     []*Account     `json:"accounts"`
	Users        []*User        `json:"users"`
	Groups       []*Group       `json:"groups"`
	Whitelists   []*Whitelist   `json:"whitelists"`
	Transactions []*Transaction `json:"transactions"`
	Requests     []*Request     `json:"requests"`
	Digests      []*Digest      `json:"digests"`
	Messages     []*Message     `json:"messages"`
}

func (st *store) datasetView() datasetView {
	return datasetView{
		slices.Clone(st.entities), slices.Clone(st.accounts), slices.Clone(st.users),
		slices.Clone(st.groups), slices.Clone(st.whitelists), slices.Clone(st.transactions),
		slices.Clone(st.requests), slices.Clone(st.digests), slices.Clone(st.messages),
	}
}
