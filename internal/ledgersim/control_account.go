package ledgersim

import (
	"fmt"
	"slices"
	"strings"
)

// NewAccount describes an account for AddAccount.
type NewAccount struct {
	// Entity owns the account; 0 (or null): none. A child's must be its
	// parent's (0 means the parent's).
	Entity int `json:"entity"`
	// Currency is a simulated currency (bitcoin, ethereum, solana, cardano,
	// tezos, polkadot, ripple, stellar, polygon). A child's may be empty.
	Currency string `json:"currency"`
	// Parent, when set, is an Ethereum account: the new account is an
	// ERC-20 child of it.
	Parent int `json:"parent,omitempty"`
	// ContractAddress is a child's token; "": USDC.
	ContractAddress string `json:"contract_address,omitempty"`
	// Name: "" gives "<ticker> <entity name> #<id>".
	Name string `json:"name,omitempty"`
	// GovernanceRules: nil gives none (a child: a copy of its parent's).
	GovernanceRules []RuleSet `json:"governance_rules,omitempty"`
}

// AddAccount creates an account, created now with zero balances, and sends
// NEW_ACCOUNT_HAS_BEEN_CREATED, then ENTITY_HAS_BEEN_EDITED when it joins
// an entity.
func (s *Server) AddAccount(n NewAccount) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	a, err := s.draftAccount(&n)
	if err != nil {
		return Account{}, err
	}
	st.accounts = append(st.accounts, a)
	if a.Parent != nil {
		appendIndex(st.children, *a.Parent, a.ID)
	}
	s.notify.notify(accountPayloadType(a), "NEW_ACCOUNT_HAS_BEEN_CREATED", a.ID)
	if n.Entity != 0 {
		st.addToEntity(n.Entity, a.ID)
		s.notify.notify("ENTITY", "ENTITY_HAS_BEEN_EDITED", n.Entity)
	}
	return a.clone(), nil
}

// draftAccount checks n, settles its defaults and builds the account.
func (s *Server) draftAccount(n *NewAccount) (*Account, error) {
	st := s.st
	id := len(st.accounts) + 1
	r := newRand(s.cfg.Seed, "added-account", id)
	var a *Account
	var err error
	if n.Parent != 0 {
		a, err = st.draftChild(id, n)
	} else {
		a, err = st.draftTop(id, n)
	}
	if err != nil {
		return nil, err
	}
	if n.GovernanceRules != nil {
		if err := st.checkRuleSets(n.GovernanceRules); err != nil {
			return nil, err
		}
		a.GovernanceRules = st.adoptRules(n.GovernanceRules)
	}
	c := accountCoin(a)
	if a.Address == nil && !c.utxo {
		a.Address = ptr(randAddress(r, c.family))
	}
	if c.utxo {
		a.Xpub = ptr("xpub6" + randString(r, base58Digits, 106))
	}
	a.Index = st.countOf(a.Type, a.Currency)
	a.DerivationPath = ptr(derivationPath(c, a.Index))
	a.CreatedBy, a.CreatedOn = st.approverPool("ACCOUNT")[0], s.now()
	if n.Name != "" {
		a.Name = n.Name
	}
	return a, nil
}

func (st *store) draftTop(id int, n *NewAccount) (*Account, error) {
	c, ok := coinByCurrency(n.Currency)
	if !ok {
		return nil, invalid("currency %q: the simulator has %s", n.Currency, strings.Join(currencyNames(), ", "))
	}
	owner := "Unassigned"
	if n.Entity != 0 {
		e := byID(st.entities, n.Entity)
		if e == nil {
			return nil, invalid("entity %d does not exist", n.Entity)
		}
		owner = e.Name
	}
	a := emptyAccount(id, c.typ, c.currency)
	a.Name = fmt.Sprintf("%s %s #%d", c.ticker, owner, id)
	return a, nil
}

func (st *store) draftChild(id int, n *NewAccount) (*Account, error) {
	p := byID(st.accounts, n.Parent)
	switch {
	case p == nil:
		return nil, invalid("parent account %d does not exist", n.Parent)
	case p.Type != "Ethereum":
		return nil, invalid("parent %d is a %s account; ERC-20 children need an Ethereum parent", p.ID, p.Type)
	case n.Currency != "" && n.Currency != p.Currency:
		return nil, invalid("currency %q: a child has its parent's currency %q", n.Currency, p.Currency)
	}
	owner := st.entityOf[p.ID]
	if n.Entity != 0 && n.Entity != owner {
		return nil, invalid("entity %d: a child belongs to its parent's entity (%d, 0 for none)", n.Entity, owner)
	}
	n.Entity = owner
	if n.ContractAddress == "" {
		n.ContractAddress = tokens[0].contract
	}
	t, ok := tokenByContract(n.ContractAddress)
	if !ok {
		return nil, invalid("contract_address %q is not a simulated token", n.ContractAddress)
	}
	a := emptyAccount(id, erc20Type, p.Currency)
	a.Name, a.Parent, a.Address, a.ContractAddress = t.ticker+" "+p.Name, ptr(p.ID), p.Address, ptr(t.contract)
	a.GovernanceRules = st.adoptRules(p.GovernanceRules)
	return a, nil
}

func emptyAccount(id int, typ, currency string) *Account {
	return &Account{ID: id, Currency: currency, Type: typ, Status: "ACTIVE", Balance: "0",
		AvailableBalance: "0", PendingBalance: "0", GovernanceRules: []RuleSet{},
		Labels: []LiteLabel{}, TokenAccounts: []LightTokenAccount{}}
}

// countOf counts the accounts of a type and currency (the next index).
func (st *store) countOf(typ, currency string) int {
	n := 0
	for _, a := range st.accounts {
		if a.Type == typ && a.Currency == currency {
			n++
		}
	}
	return n
}

func currencyNames() []string {
	var names []string
	for _, c := range coins {
		if c.typ != erc20Type {
			names = append(names, c.currency)
		}
	}
	return names
}

// ruleFields are the RuleEntry fields each rule type takes.
var ruleFields = map[string][]string{
	RuleMultiAuth:         {"group", "users", "quorum"},
	RuleWhitelist:         {"whitelist"},
	RuleThreshold:         {"currency_type", "min", "max"},
	RuleTransactionFilter: {"condition", "filters", "preset"},
	RuleSmartContract:     {"enabled"},
}

// checkRuleSets accepts rule sets whose rules each have entries of their
// type's shape, naming existing groups, users and whitelists.
func (st *store) checkRuleSets(sets []RuleSet) error {
	for i, rs := range sets {
		if len(rs.Rules) == 0 {
			return invalid("governance_rules[%d] has no rules", i)
		}
		for j, rule := range rs.Rules {
			if err := st.checkRule(rule); err != nil {
				return invalid("governance_rules[%d].rules[%d]: %v", i, j, err)
			}
		}
	}
	return nil
}

func (st *store) checkRule(rule Rule) error {
	allowed, ok := ruleFields[rule.Type]
	if !ok {
		return fmt.Errorf("type %q is not a rule type", rule.Type)
	}
	if len(rule.Data) == 0 {
		return fmt.Errorf("no data")
	}
	for k, e := range rule.Data {
		for _, f := range entryFields(e) {
			if !slices.Contains(allowed, f) {
				return fmt.Errorf("data[%d]: %s does not belong in a %s rule", k, f, rule.Type)
			}
		}
		if err := st.checkEntry(rule.Type, e); err != nil {
			return fmt.Errorf("data[%d]: %v", k, err)
		}
	}
	return nil
}

// entryFields lists the fields set in e.
func entryFields(e RuleEntry) []string {
	var f []string
	add := func(set bool, name string) {
		if set {
			f = append(f, name)
		}
	}
	add(e.Group != nil, "group")
	add(e.Users != nil, "users")
	add(e.Quorum != 0, "quorum")
	add(e.Whitelist != nil, "whitelist")
	add(e.CurrencyType != "", "currency_type")
	add(e.Min != nil, "min")
	add(e.Max != nil, "max")
	add(e.Condition != nil, "condition")
	add(e.Filters != nil, "filters")
	add(e.Preset != nil, "preset")
	add(e.Enabled != nil, "enabled")
	return f
}

func (st *store) checkEntry(typ string, e RuleEntry) error {
	switch typ {
	case RuleMultiAuth:
		return st.checkMultiAuth(e)
	case RuleWhitelist:
		if e.Whitelist == nil || byID(st.whitelists, *e.Whitelist) == nil {
			return fmt.Errorf("whitelist must name an existing whitelist")
		}
	case RuleThreshold:
		if e.CurrencyType == "" || e.Min == nil || e.Max != nil && *e.Max < *e.Min {
			return fmt.Errorf("threshold needs currency_type and min, and max not below min")
		}
	case RuleSmartContract:
		if e.Enabled == nil {
			return fmt.Errorf("enabled is required")
		}
	case RuleTransactionFilter:
		if e.Condition != nil && *e.Condition != "ALL" && *e.Condition != "ANY" {
			return fmt.Errorf("condition must be ALL or ANY")
		}
	}
	return nil
}

func (st *store) checkMultiAuth(e RuleEntry) error {
	switch {
	case (e.Group == nil) == (e.Users == nil):
		return fmt.Errorf("give either group or users")
	case e.Quorum < 1:
		return fmt.Errorf("quorum must be at least 1")
	case e.Group != nil && byID(st.groups, *e.Group) == nil:
		return fmt.Errorf("group %d does not exist", *e.Group)
	case e.Users != nil && len(e.Users) < e.Quorum:
		return fmt.Errorf("quorum %d is more than the %d users", e.Quorum, len(e.Users))
	}
	return st.checkUsers(e.Users)
}
