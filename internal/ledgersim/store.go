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
	t := target{r.TargetType, r.TargetID}
	appendIndex(st.requestsByTarget, t, r.ID)
	id := ptr(r.ID)
	switch r.TargetType {
	case "ACCOUNT":
		if a := byID(st.accounts, r.TargetID); a != nil {
			c := *a
			c.LastRequest = id
			st.accounts[a.ID-1] = &c
		}
	case "TRANSACTION":
		if x := byID(st.transactions, r.TargetID); x != nil {
			c := *x
			c.LastRequest = id
			st.transactions[x.ID-1] = &c
		}
	default:
		st.linkRequestOther(r.TargetType, r.TargetID, id)
	}
}

func (st *store) linkRequestOther(kind string, targetID int, id *int) {
	switch kind {
	case "USER":
		if x := byID(st.users, targetID); x != nil {
			c := *x
			c.LastRequest = id
			st.users[x.ID-1] = &c
		}
	case "GROUP":
		if x := byID(st.groups, targetID); x != nil {
			c := *x
			c.LastRequest = id
			st.groups[x.ID-1] = &c
		}
	case "WHITELIST":
		if x := byID(st.whitelists, targetID); x != nil {
			c := *x
			c.LastRequest = id
			st.whitelists[x.ID-1] = &c
		}
	case "ENTITY":
		if x := byID(st.entities, targetID); x != nil {
			c := *x
			c.LastRequest = id
			st.entities[x.ID-1] = &c
		}
	case "DIGESTS":
		if x := byID(st.digests, targetID); x != nil {
			c := *x
			c.LastRequest = id
			st.digests[x.ID-1] = &c
		}
	case "MESSAGE":
		if x := byID(st.messages, targetID); x != nil {
			c := *x
			c.LastRequest = id
			st.messages[x.ID-1] = &c
		}
	}
}

// exists reports whether a request target exists.
func (st *store) exists(kind string, id int) bool {
	switch kind {
	case "ACCOUNT":
		return byID(st.accounts, id) != nil
	case "TRANSACTION":
		return byID(st.transactions, id) != nil
	case "USER":
		return byID(st.users, id) != nil
	case "GROUP":
		return byID(st.groups, id) != nil
	case "WHITELIST":
		return byID(st.whitelists, id) != nil
	case "ENTITY":
		return byID(st.entities, id) != nil
	case "DIGESTS":
		return byID(st.digests, id) != nil
	case "MESSAGE":
		return byID(st.messages, id) != nil
	}
	return false
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
