package ledgersim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// requestKinds are the targets requests are drawn over, with their request
// types and relative frequency.
type requestKind struct {
	target string
	types  []string
	weight int
}

var requestKinds = []requestKind{
	{"ACCOUNT", []string{"CREATE_ACCOUNT", "EDIT_ACCOUNT"}, 30},
	{"TRANSACTION", []string{"CREATE_TRANSACTION"}, 30},
	{"USER", []string{"CREATE_OPERATOR", "REVOKE_USER"}, 12},
	{"WHITELIST", []string{"CREATE_WHITELIST", "EDIT_WHITELIST"}, 8},
	{"GROUP", []string{"CREATE_GROUP", "EDIT_GROUP"}, 8},
	{"ENTITY", []string{"CREATE_ENTITY", "EDIT_ENTITY"}, 6},
	{"DIGESTS", []string{"SIGN_DIGESTS"}, 3},
	{"MESSAGE", []string{"MESSAGE_SIGNING"}, 3},
}

// requestTTL is how long a request stays open (expires_at - created_on).
const requestTTL = 7 * 24 * time.Hour

// requests draws requests over the existing objects, with their votes, and
// sets each target's last_request.
func (g *gen) requests() {
	r := newRand(g.cfg.Seed, "requests")
	weights := make([]int, len(requestKinds))
	for i, k := range requestKinds {
		if g.st.size(k.target) > 0 {
			weights[i] = k.weight
		}
	}
	n := g.cfg.Requests
	if slices.Max(weights) == 0 {
		n = 0
	}
	g.st.requests = make([]*Request, 0, n)
	g.st.votes = make([]votes, 0, n)
	for id := 1; id <= n; id++ {
		k := requestKinds[weighted(r, weights)]
		status := pick(r, []string{"APPROVED", "APPROVED", "APPROVED", "APPROVED", "APPROVED", "APPROVED",
			"PENDING_APPROVAL", "PENDING_APPROVAL", "PENDING_APPROVAL", "REJECTED", "EXPIRED"})
		t := requestTime(id)
		req := &Request{ID: id, Type: pick(r, k.types), Status: status, TargetType: k.target,
			TargetID: 1 + r.IntN(g.st.size(k.target)), CreatedBy: ptr(pick(r, g.operators)),
			CreatedOn: t, ExpiresAt: t.Add(requestTTL)}
		g.st.requests = append(g.st.requests, req)
		g.st.votes = append(g.st.votes, drawVotes(r, g.approversFor(k.target), status))
		g.st.linkRequest(req)
	}
}

// approversFor: admins approve administrative changes, operators the rest.
func (g *gen) approversFor(kind string) []int {
	switch kind {
	case "TRANSACTION", "DIGESTS", "MESSAGE":
		return g.operators
	}
	return g.admins
}

// drawVotes picks two or three approvers and what each did, consistent
// with the request's status.
func drawVotes(r *rand.Rand, pool []int, status string) votes {
	v := votes{approvers: pickN(r, pool, 2+r.IntN(2))}
	for i, u := range v.approvers {
		switch {
		case status == "APPROVED":
			v.approvedBy = append(v.approvedBy, u)
		case status == "REJECTED" && i == 0:
			v.rejectedBy = append(v.rejectedBy, u)
		case status == "PENDING_APPROVAL" && i == 0 && len(v.approvers) > 1:
			v.approvedBy = append(v.approvedBy, u)
		case status == "PENDING_APPROVAL":
			v.pendingBy = append(v.pendingBy, u)
		}
	}
	return v
}

// stakes gives up to two stakes to each staking account that has
// transactions, created by its oldest ones.
func (g *gen) stakes() {
	r := newRand(g.cfg.Seed, "stakes")
	for _, a := range g.st.accounts {
		c := accountCoin(a)
		if c.staking == "" || a.Type == erc20Type {
			continue
		}
		txs := g.st.txByAccount[a.ID]
		for k := range min(r.IntN(3), len(txs)) {
			tx := g.st.transactions[txs[k]-1]
			s := &stake{
				id: len(g.st.stakes) + 1, family: c.staking, accountID: a.ID, creationTx: tx.ID,
				uid:    fmt.Sprintf("%s-%s", c.staking, randHex(r, 12)),
				status: pick(r, []string{"ACTIVE", "ACTIVE", "ACTIVE", "ACTIVATING", "DEACTIVATED"}),
				amount: randAmount(r, c.magnitude+2), validator: randAddress(r, c.family),
				totalReward: randAmount(r, c.magnitude), createdBy: tx.CreatedBy, createdOn: tx.CreatedOn,
			}
			g.st.stakes = append(g.st.stakes, s)
			appendIndex(g.st.stakesByAccount, a.ID, len(g.st.stakes)-1)
		}
	}
}

// pledgeStates are the Pledge.state values the generator uses.
var pledgeStates = []string{"PLEDGE_READY", "PLEDGE_APPROVED", "ASSIGNED_TO_SETTLEMENT", "PLEDGE_INCREMENT_PENDING_APPROVAL"}

// pledges makes a few Tradelink pledges on Bitcoin and Ethereum accounts,
// and a settlement for each pledge assigned to one (the first always is).
func (g *gen) pledges() {
	r := newRand(g.cfg.Seed, "pledges")
	for _, a := range g.st.accounts {
		if len(g.st.pledges) == 6 {
			break
		}
		if (a.Type != "Bitcoin" && a.Type != "Ethereum") || r.IntN(3) != 0 {
			continue
		}
		p := &pledge{n: len(g.st.pledges) + 1, id: randUUID(r), accountID: a.ID, subaccountID: a.ID,
			amount: int64(1 + r.IntN(1_000_000)), state: pick(r, pledgeStates),
			assetManager: r.IntN(len(tradelinkParties)), exch: r.IntN(len(tradelinkParties))}
		if kids := g.st.children[a.ID]; len(kids) > 0 {
			p.subaccountID = kids[0]
		}
		p.pending = p.amount / 10
		if p.n == 1 { // so that a settlement exists whenever a pledge does
			p.state = "ASSIGNED_TO_SETTLEMENT"
		}
		g.st.pledges = append(g.st.pledges, p)
		if p.state == "ASSIGNED_TO_SETTLEMENT" {
			g.st.settlements = append(g.st.settlements, &settlement{n: len(g.st.settlements) + 1,
				id: randUUID(r), fromPledge: p.id, state: pick(r, []string{"PENDING", "COMPLETED"})})
		}
	}
}

// tradelinkParties are the Tradelink asset managers and exchanges.
var tradelinkParties = []struct{ code, name string }{
	{"ACME", "Acme Asset Management"}, {"NOVA", "Nova Exchange"}, {"ORCA", "Orca Markets"},
}
