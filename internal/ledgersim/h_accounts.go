package ledgersim

import (
	"slices"
	"strconv"
	"time"
)

// account returns the account named by a path parameter.
func (c *call) account(param string) (*Account, error) {
	id, _ := c.pathInt(param)
	if a := byID(c.st.accounts, id); a != nil {
		return a, nil
	}
	return nil, notFound("Account")
}

func getAccount(c *call) (any, error) { return c.account("account_id") }

func listAccounts(c *call) (any, error) {
	return list(c, c.st.accounts, accountFilters(c, true))
}

// listChildren lists a parent's ERC-20 children; in leaky mode, every
// account's children.
func listChildren(c *call) (any, error) {
	parent, err := c.account("parent_account_id")
	if err != nil {
		return nil, err
	}
	var items []*Account
	if c.leaky {
		items = slices.DeleteFunc(slices.Clone(c.st.accounts), func(a *Account) bool { return a.Parent == nil })
	} else {
		for _, id := range c.st.children[parent.ID] {
			items = append(items, c.st.accounts[id-1])
		}
	}
	return list(c, items, accountFilters(c, false))
}

// accountFilters are /accounts' filters; the children list takes the
// same minus those about the account itself (all=false).
func accountFilters(c *call, all bool) []func(*Account) bool {
	q, st := c.q, c.st
	var ps []func(*Account) bool
	if ids := q.ints("entity"); len(ids) > 0 {
		members := map[int]bool{}
		for _, e := range ids {
			if ent := byID(st.entities, e); ent != nil {
				for _, a := range ent.Accounts {
					members[a] = true
				}
			}
		}
		ps = append(ps, func(a *Account) bool { return members[a.ID] })
	}
	if u, ok := q.int("user"); ok {
		ps = append(ps, func(a *Account) bool { return st.accountUsers(a)[u] })
	}
	if g, ok := q.int("group"); ok {
		ps = append(ps, func(a *Account) bool { return slices.Contains(governanceOf(a).groups, g) })
	}
	if v, ok := q.str("status"); ok {
		ps = append(ps, func(a *Account) bool { return a.Status == v })
	}
	if all {
		ps = append(ps, accountOwnFilters(q)...)
	}
	return ps
}

func accountOwnFilters(q query) []func(*Account) bool {
	var ps []func(*Account) bool
	if p, ok := q.int("parent"); ok {
		ps = append(ps, func(a *Account) bool { return a.Parent != nil && *a.Parent == p })
	}
	if labels := q.strs("account_label"); len(labels) > 0 {
		ps = append(ps, func(a *Account) bool {
			return slices.ContainsFunc(a.Labels, func(l LiteLabel) bool { return slices.Contains(labels, strconv.Itoa(l.ID)) })
		})
	}
	for param, field := range map[string]func(*Account) string{
		"account_type": func(a *Account) string { return a.Type },
		"currency":     func(a *Account) string { return a.Currency },
		"name":         func(a *Account) string { return a.Name },
	} {
		if v, ok := q.str(param); ok {
			ps = append(ps, func(a *Account) bool { return field(a) == v })
		}
	}
	return ps
}

func accountLabels(c *call) (any, error) {
	a, err := c.account("account_id")
	if err != nil {
		return nil, err
	}
	return a.Labels, nil
}

// accountTokens: an Ethereum account's ERC-20 children, a Solana account's
// SPL token accounts, nothing for the others.
func accountTokens(c *call) (any, error) {
	a, err := c.account("account_id")
	if err != nil {
		return nil, err
	}
	out := slices.Clone(a.TokenAccounts)
	for _, id := range c.st.children[a.ID] {
		child := c.st.accounts[id-1]
		t, _ := tokenByContract(*child.ContractAddress)
		avail, _ := strconv.ParseInt(child.AvailableBalance, 10, 64)
		pending, _ := strconv.ParseInt(child.PendingBalance, 10, 64)
		out = append(out, LightTokenAccount{
			AccountName: child.Name, AssociatedTokenAccount: *child.Address, Available: avail,
			ContractAddress: t.contract, CreationTransactionHash: "", ParentID: a.ID,
			Pending: pending, Status: child.Status, Ticker: t.ticker,
		})
	}
	return out, nil
}

type currencyUnit struct {
	Code      string `json:"code"`
	Magnitude int    `json:"magnitude"`
}

// accountCurrency is the spec's AccountCurrency. Token accounts pay fees
// in their network's coin.
func accountCurrency(c *call) (any, error) {
	a, err := c.account("account_id")
	if err != nil {
		return nil, err
	}
	own := accountCoin(a)
	fees, _ := coinByCurrency(a.Currency)
	return struct {
		AmountUnits []currencyUnit `json:"amount_units"`
		FeesUnits   []currencyUnit `json:"fees_units"`
	}{
		[]currencyUnit{{own.ticker, own.magnitude}, {"base unit", 0}},
		[]currencyUnit{{fees.ticker, fees.magnitude}, {"base unit", 0}},
	}, nil
}

// historyEntry is the spec's APIHistoryResult.
type historyEntry struct {
	ID         int       `json:"id"`
	Type       string    `json:"type"`
	Status     string    `json:"status"`
	CreatedBy  *int      `json:"created_by"`
	CreatedOn  time.Time `json:"created_on"`
	ExpiredAt  time.Time `json:"expired_at"`
	IsComplete bool      `json:"is_complete"`
}

// history is the spec's APIHistoryResults for an object: the requests
// that targeted it, oldest first, one per inner list.
func (c *call) history(kind string, id int) any {
	h := [][]historyEntry{}
	for _, rid := range c.st.requestsByTarget[target{kind, id}] {
		r := c.st.requests[rid-1]
		h = append(h, []historyEntry{{ID: r.ID, Type: r.Type, Status: r.Status, CreatedBy: r.CreatedBy,
			CreatedOn: r.CreatedOn, ExpiredAt: r.ExpiresAt,
			IsComplete: r.Status != "PENDING_APPROVAL"}})
	}
	return struct {
		History [][]historyEntry `json:"history"`
	}{h}
}

func accountHistory(c *call) (any, error) {
	a, err := c.account("account_id")
	if err != nil {
		return nil, err
	}
	return c.history("ACCOUNT", a.ID), nil
}

// accountBalances answers BitcoinBalances, SolanaBalances or
// AccountBalances after the account's type.
func accountBalances(c *call) (any, error) {
	a, err := c.account("account_id")
	if err != nil {
		return nil, err
	}
	switch a.Type {
	case "Bitcoin":
		return map[string]string{
			"available": a.AvailableBalance, "confirmed": a.AvailableBalance, "pending": a.PendingBalance,
			"total": a.Balance, "mempool_change": "0", "mempool_in": a.PendingBalance, "mempool_out": "0",
			"under_confirmation_change": "0", "under_confirmation_in": "0", "under_confirmation_out": "0",
			"worthless": "0",
		}, nil
	case "Solana":
		return map[string]any{
			"activating": "0", "deactivating": "0", "delegated": "0", "total_staked": "0",
			"undelegated": a.Balance, "token_accounts": a.TokenAccounts,
		}, nil
	}
	return map[string]string{"available": a.AvailableBalance, "pending": a.PendingBalance, "total": a.Balance}, nil
}
