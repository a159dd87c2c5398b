package ledgersim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// accounts generates the accounts and their entity membership. Top-level
// accounts go round the entities first (so entities 1 and 2 own some as
// soon as there are two), then to a random entity or, for about one in
// eight, to none. An ERC-20 child account belongs to its parent's entity and
// is listed in that entity's accounts explicitly, after its parent.
func (g *gen) accounts() {
	r := newRand(g.cfg.Seed, "accounts")
	n := g.cfg.Accounts
	g.st.accounts = make([]*Account, 0, n)
	weights := make([]int, len(coins))
	for i, c := range coins {
		weights[i] = c.weight
	}
	var ethereum []int
	indexes := map[string]int{}
	topLevel := 0
	for id := 1; id <= n; id++ {
		c := coins[weighted(r, weights)]
		if c.typ == erc20Type && len(ethereum) == 0 {
			c, _ = coinByType("Ethereum")
		}
		var a *Account
		var entity int
		if c.typ == erc20Type {
			parent := g.st.accounts[pick(r, ethereum)-1]
			a, entity = g.childAccount(r, id, parent), g.st.entityOf[parent.ID]
		} else {
			entity = g.entityFor(r, topLevel)
			topLevel++
			a = g.topAccount(r, id, c, entity)
			if c.typ == "Ethereum" {
				ethereum = append(ethereum, id)
			}
		}
		key := a.Type + "/" + a.Currency
		a.Index = indexes[key]
		indexes[key]++
		a.DerivationPath = ptr(derivationPath(c, a.Index))
		g.st.accounts = append(g.st.accounts, a)
		g.join(a, entity)
	}
}

// entityFor picks the entity of the k-th top-level account; 0 is none.
func (g *gen) entityFor(r *rand.Rand, k int) int {
	e := g.cfg.Entities
	switch {
	case e == 0:
		return 0
	case k < e:
		return k + 1
	case r.IntN(8) == 0:
		return 0
	}
	return 1 + r.IntN(e)
}

// join records a in entity (0: none) and the children index.
func (g *gen) join(a *Account, entity int) {
	if a.Parent != nil {
		appendIndex(g.st.children, *a.Parent, a.ID)
	}
	if entity != 0 {
		g.st.entityOf[a.ID] = entity
		ent := g.st.entities[entity-1]
		ent.Accounts = append(ent.Accounts, a.ID)
	}
}

func derivationPath(c coin, index int) string {
	coinType := map[string]int{"bitcoin": 0, "ethereum": 60, "solana": 501, "cardano": 1815,
		"tezos": 1729, "polkadot": 354, "ripple": 144, "stellar": 148, "polygon": 60}[c.family]
	return fmt.Sprintf("44'/%d'/%d'", coinType, index)
}

func (g *gen) topAccount(r *rand.Rand, id int, c coin, entity int) *Account {
	owner := "Unassigned"
	if entity != 0 {
		owner = g.entityName(entity)
	}
	a := &Account{
		ID: id, Name: fmt.Sprintf("%s %s #%d", c.ticker, owner, id), Currency: c.currency, Type: c.typ,
		Status:    pick(r, []string{"ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "VIEW_ONLY", "APPROVED"}),
		CreatedBy: pick(r, g.admins), CreatedOn: accountTime(id),
		GovernanceRules: g.governance(r, c, entity),
		Labels:          randLabels(r), TokenAccounts: []LightTokenAccount{},
	}
	g.balances(r, a, c.magnitude)
	if c.utxo {
		a.Xpub = ptr("xpub6" + randString(r, base58Digits, 106))
	} else {
		a.Address = ptr(randAddress(r, c.family))
	}
	if c.typ == "Solana" {
		a.TokenAccounts = splTokens(r, a)
	}
	return a
}

func (g *gen) childAccount(r *rand.Rand, id int, parent *Account) *Account {
	t := pick(r, tokens)
	a := &Account{
		ID: id, Name: fmt.Sprintf("%s %s", t.ticker, parent.Name), Currency: parent.Currency, Type: erc20Type,
		Status: "ACTIVE", Parent: ptr(parent.ID), Address: parent.Address, ContractAddress: ptr(t.contract),
		CreatedBy: parent.CreatedBy, CreatedOn: accountTime(id),
		GovernanceRules: g.copyRules(parent.GovernanceRules),
		Labels:          randLabels(r), TokenAccounts: []LightTokenAccount{},
	}
	g.balances(r, a, t.magnitude)
	return a
}

func (g *gen) balances(r *rand.Rand, a *Account, magnitude int) {
	total := int64(r.IntN(1_000_000)) * pow10(magnitude-2)
	pending := int64(0)
	if r.IntN(4) == 0 {
		pending = total / int64(2+r.IntN(10))
	}
	a.Balance = strconv.FormatInt(total, 10)
	a.AvailableBalance = strconv.FormatInt(total-pending, 10)
	a.PendingBalance = strconv.FormatInt(pending, 10)
}

func pow10(n int) int64 {
	p := int64(1)
	for range min(n, 12) {
		p *= 10
	}
	return p
}

func randLabels(r *rand.Rand) []LiteLabel {
	labels := []LiteLabel{}
	for _, i := range pickN(r, []int{0, 1, 2, 3, 4, 5}, r.IntN(3)) {
		labels = append(labels, fixedLabels[i])
	}
	return labels
}

func splTokens(r *rand.Rand, a *Account) []LightTokenAccount {
	out := []LightTokenAccount{}
	for range r.IntN(3) {
		t := pick(r, []string{"USDC", "USDT", "JUP"})
		out = append(out, LightTokenAccount{
			AccountName: t + " " + a.Name, AssociatedTokenAccount: randAddress(r, "solana"),
			Available: int64(r.IntN(1_000_000_000)), ContractAddress: randAddress(r, "solana"),
			CreationTransactionHash: randHex(r, 64), ParentID: a.ID, Status: "ACTIVE", Ticker: t,
		})
	}
	return out
}

// governance draws an account's rule sets. Accounts of entity e reference
// mostly e's own groups, users and whitelists, sometimes shared ones; so
// scopes differ across entities and some objects belong to one only.
func (g *gen) governance(r *rand.Rand, c coin, entity int) []RuleSet {
	setID := g.nextID()
	rules := []Rule{g.multiAuthRule(r, entity)}
	if len(g.st.whitelists) > 0 && r.IntN(2) == 0 {
		rules = append(rules, g.rule(RuleWhitelist, RuleEntry{Whitelist: ptr(g.fromPool(r, g.whitelistPool, entity))}))
	}
	if r.IntN(5) < 2 {
		rules = append(rules, g.rule(RuleThreshold, RuleEntry{CurrencyType: c.currency, Min: ptr(int64(0)),
			Max: ptr(int64(1+r.IntN(100)) * pow10(c.magnitude))}))
	}
	if c.evm && r.IntN(3) == 0 {
		rules = append(rules, g.rule(RuleSmartContract, RuleEntry{Enabled: ptr(r.IntN(2) == 0)}))
	}
	sets := []RuleSet{{ID: setID, Index: 0, Name: "Default", Rules: rules}}
	if r.IntN(4) == 0 {
		setID := g.nextID()
		large := []Rule{
			g.rule(RuleThreshold, RuleEntry{CurrencyType: c.currency, Min: ptr(int64(100) * pow10(c.magnitude))}),
			g.multiAuthRule(r, 0),
		}
		sets = append(sets, RuleSet{ID: setID, Index: 1, Name: "Large transfers", Rules: large})
	}
	return sets
}

// multiAuthRule names a group, users directly, or both (two steps).
func (g *gen) multiAuthRule(r *rand.Rand, entity int) Rule {
	style := r.IntN(3)
	if len(g.st.groups) == 0 {
		style = 1
	}
	var data []RuleEntry
	if style != 1 {
		gid := g.fromPool(r, g.groupPool, entity)
		data = append(data, RuleEntry{Group: ptr(gid), Quorum: 1 + r.IntN(2)})
	}
	if style != 0 {
		users := pickN(r, g.userPoolFor(r, entity), 1+r.IntN(3))
		data = append(data, RuleEntry{Users: users, Quorum: 1 + r.IntN(len(users))})
	}
	return g.rule(RuleMultiAuth, data...)
}

// fromPool picks an id from entity's pool (four times in five) or the
// shared one, falling back to whichever is not empty.
func (g *gen) fromPool(r *rand.Rand, pool [][]int, entity int) int {
	if entity != 0 && len(pool[entity]) > 0 && (len(pool[0]) == 0 || r.IntN(5) != 0) {
		return pick(r, pool[entity])
	}
	if len(pool[0]) > 0 {
		return pick(r, pool[0])
	}
	for _, p := range pool {
		if len(p) > 0 {
			return pick(r, p)
		}
	}
	panic("ledgersim: fromPool on empty pools") // callers check the collection is not empty
}

func (g *gen) userPoolFor(r *rand.Rand, entity int) []int {
	if entity != 0 && len(g.userPool[entity]) > 0 && r.IntN(5) != 0 {
		return g.userPool[entity]
	}
	return g.poolOrShared(g.userPool, 0)
}

func (g *gen) rule(typ string, data ...RuleEntry) Rule {
	return Rule{ID: g.nextID(), Type: typ, Data: data}
}

func (g *gen) nextID() int {
	g.st.nextRuleID++
	return g.st.nextRuleID
}

// copyRules copies rule sets with fresh ids (a child's rules are its own
// objects, with the parent's content).
func (g *gen) copyRules(sets []RuleSet) []RuleSet {
	return renumberRules(cloneRules(sets), g.nextID)
}

func renumberRules(sets []RuleSet, next func() int) []RuleSet {
	for i := range sets {
		sets[i].ID = next()
		for j := range sets[i].Rules {
			sets[i].Rules[j].ID = next()
		}
	}
	return sets
}
