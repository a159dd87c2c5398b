package ledgersim

import "strconv"

// Tradelink pledges and settlements. The spec's paths take integer ids
// while Pledge.id and Settlement.id are UUIDs: the path id is the object's
// position (1 for the first), and the body carries the UUID.

func (c *call) renderPledge(p *pledge) any {
	party := func(i int, role string) map[string]any {
		m := map[string]any{"id": strconv.Itoa(i + 1), "code": tradelinkParties[i].code,
			"name": tradelinkParties[i].name, "role": role}
		if role != "CUSTODIAN" {
			m["approver_group_id"], m["whitelist_id"] = 1, 1
		}
		return m
	}
	return map[string]any{
		"id": p.id, "account_id": p.accountID, "pledge_subaccount_id": p.subaccountID,
		"amount": p.amount, "pending": p.pending, "state": p.state,
		"asset_manager": party(p.assetManager, "ASSET_MANAGER"), "exchange": party(p.exch, "EXCHANGE"),
		"custodian": map[string]any{"id": "ledger", "code": "LEDGER", "name": "Ledger Enterprise", "role": "CUSTODIAN"},
	}
}

// listPledges pages the pledges in creation order; asset_manager_id and
// exchange_id are the parties' positions (1-based), as their ids show.
func listPledges(c *call) (any, error) {
	q := c.q
	var ps []func(*pledge) bool
	for param, field := range map[string]func(*pledge) int{
		"account_id":       func(p *pledge) int { return p.accountID },
		"asset_manager_id": func(p *pledge) int { return p.assetManager + 1 },
		"exchange_id":      func(p *pledge) int { return p.exch + 1 },
	} {
		if v, ok := q.int(param); ok {
			ps = append(ps, func(p *pledge) bool { return field(p) == v })
		}
	}
	ps = append(ps, stringIn(q, "state", func(p *pledge) string { return p.state })...)
	return c.pageInOrder(filter(c.st.pledges, ps))
}

func (c *call) pageInOrder(items []*pledge) (any, error) {
	p, err := pageOf(c.q, defaultPageSize, c.maxPageSize, "")
	if err != nil {
		return nil, err
	}
	return paginate(items, p, c.renderPledge), nil
}

func getPledge(c *call) (any, error) {
	p, err := getByID(c, c.st.pledges, "pledge_id", "pledge")
	if err != nil {
		return nil, err
	}
	return c.renderPledge(p), nil
}

// listSettlements answers, as the spec declares, pledge results: the
// pledges assigned to a settlement.
func listSettlements(c *call) (any, error) {
	settled := map[string]bool{}
	for _, s := range c.st.settlements {
		settled[s.fromPledge] = true
	}
	return c.pageInOrder(filter(c.st.pledges, []func(*pledge) bool{func(p *pledge) bool { return settled[p.id] }}))
}

func getSettlement(c *call) (any, error) {
	s, err := getByID(c, c.st.settlements, "settlement_id", "Settlement")
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": s.id, "from_pledge_id": s.fromPledge, "state": s.state, "meta": map[string]any{},
		"inbound_transaction_intent": nil, "outbound_transaction": nil, "repledge": nil, "repledge_intent": nil}, nil
}
