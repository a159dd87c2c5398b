package ledgersim

import (
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file serves transactions, requests, digests and messages.

// ofAccounts returns xs, or when the account filter is given the objects
// of those accounts, found through index (account id → ascending object
// ids), each account counted once.
func ofAccounts[T any](q query, xs []*T, index map[int][]int) []*T {
	accounts := q.ints("account")
	if len(accounts) == 0 {
		return xs
	}
	var out []*T
	for _, a := range sortedKeys(set(accounts)) {
		for _, id := range index[a] {
			out = append(out, xs[id-1])
		}
	}
	return out
}

func getTransaction(c *call) (any, error) {
	return getByID(c, c.st.transactions, "transaction_id", "Transaction")
}

func transactionHistory(c *call) (any, error) {
	return historyOf(c, c.st.transactions, "transaction_id", "Transaction", "TRANSACTION")
}

// transactionLabels: the transaction's labels as full Label objects.
func transactionLabels(c *call) (any, error) {
	tx, err := getByID(c, c.st.transactions, "transaction_id", "Transaction")
	if err != nil {
		return nil, err
	}
	out := []*labelRow{}
	for _, l := range tx.Labels {
		out = append(out, newLabelRow(l))
	}
	return out, nil
}

func listTransactions(c *call) (any, error) {
	return list(c, ofAccounts(c.q, c.st.transactions, c.st.txByAccount), txFilters(c.q))
}

func txFilters(q query) []func(*Transaction) bool {
	ps := stringIn(q, "currency", func(t *Transaction) string { return t.Currency })
	ps = append(ps, stringIn(q, "status", func(t *Transaction) string { return t.Status })...)
	ps = append(ps, stringIn(q, "type", func(t *Transaction) string { return t.Type })...)
	ps = append(ps, stringIn(q, "recipient", func(t *Transaction) string { return deref(t.Recipient) })...)
	ps = append(ps, stringIn(q, "tx_hash", func(t *Transaction) string { return deref(t.TxHash) })...)
	ps = append(ps, stringIn(q, "interaction_type", func(t *Transaction) string { return deref(t.InteractionType) })...)
	ps = append(ps, stringIn(q, "memo", func(t *Transaction) string {
		if t.CoinFields == nil || t.CoinFields.Memo == nil {
			return ""
		}
		return t.CoinFields.Memo.Text
	})...)
	if tag, ok := q.int("destination_tag"); ok {
		ps = append(ps, func(t *Transaction) bool {
			return t.CoinFields != nil && t.CoinFields.DestinationTag != nil && *t.CoinFields.DestinationTag == tag
		})
	}
	for _, param := range []string{"title", "label"} { // label: the deprecated name of title
		if v, ok := q.str(param); ok {
			ps = append(ps, func(t *Transaction) bool {
				return slices.ContainsFunc(t.Notes, func(n Note) bool {
					return strings.Contains(n.Title, v) || strings.Contains(n.Content, v)
				})
			})
		}
	}
	if ids := q.strs("tx_label"); len(ids) > 0 {
		ps = append(ps, func(t *Transaction) bool {
			return slices.ContainsFunc(t.Labels, func(l LiteLabel) bool { return slices.Contains(ids, strconv.Itoa(l.ID)) })
		})
	}
	return append(ps, amountFilters(q)...)
}

// amountFilters compare amounts as exact decimals; a transaction without
// an amount matches no bound.
func amountFilters(q query) []func(*Transaction) bool {
	var ps []func(*Transaction) bool
	for param, keep := range map[string]func(int) bool{
		"min_amount": func(c int) bool { return c >= 0 },
		"max_amount": func(c int) bool { return c <= 0 },
	} {
		v, ok := q.str(param)
		if !ok {
			continue
		}
		bound, _ := new(big.Rat).SetString(v)
		ps = append(ps, func(t *Transaction) bool {
			if t.Amount == nil {
				return false
			}
			amount, ok := new(big.Rat).SetString(*t.Amount)
			return ok && keep(amount.Cmp(bound))
		})
	}
	return ps
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func getRequest(c *call) (any, error) {
	r, err := getByID(c, c.st.requests, "request_id", "Request")
	if err != nil {
		return nil, err
	}
	return struct { // RequestWithChallenge: the Request plus its deprecated challenge
		*Request
		Challenge map[string]any `json:"challenge"`
	}{Request: r}, nil
}

func listRequests(c *call) (any, error) {
	q, st := c.q, c.st
	ps := stringIn(q, "target_type", func(r *Request) string { return r.TargetType })
	ps = append(ps, stringIn(q, "status", func(r *Request) string { return r.Status })...)
	ps = append(ps, stringIn(q, "type", func(r *Request) string { return r.Type })...)
	if id, ok := q.int("target_id"); ok {
		ps = append(ps, func(r *Request) bool { return r.TargetID == id })
	}
	if id, ok := q.int("created_by"); ok {
		ps = append(ps, func(r *Request) bool { return r.CreatedBy != nil && *r.CreatedBy == id })
	}
	for param, users := range map[string]func(v votes) []int{
		"approved_by": func(v votes) []int { return v.approvedBy },
		"pending_by":  func(v votes) []int { return v.pendingBy },
		"rejected_by": func(v votes) []int { return v.rejectedBy },
	} {
		if id, ok := q.int(param); ok {
			ps = append(ps, func(r *Request) bool { return slices.Contains(users(st.votes[r.ID-1]), id) })
		}
	}
	return list(c, st.requests, ps)
}

// requestChallenge is the spec's APIRequestChallenge, a stand-in token.
func requestChallenge(c *call) (any, error) {
	r, err := getByID(c, c.st.requests, "request_id", "Request")
	if err != nil {
		return nil, err
	}
	token := addressJWT(c.s.cfg.Seed, "request-"+strconv.Itoa(r.ID), r.Type, r.TargetType)
	return map[string]any{"challenge": token, "id": r.ID}, nil
}

type userRef struct {
	ID *int `json:"id"`
}

type approval struct {
	Type      string    `json:"type"`
	User      userRef   `json:"user"`
	CreatedOn time.Time `json:"created_on"`
}

// requestGovernance is the spec's VaultRequestGovernance: one step whose
// approvers are the request's, with their approvals and rejections.
func requestGovernance(c *call) (any, error) {
	r, err := getByID(c, c.st.requests, "request_id", "Request")
	if err != nil {
		return nil, err
	}
	v := c.st.votes[r.ID-1]
	approvers := []userRef{}
	for _, u := range v.approvers {
		approvers = append(approvers, userRef{ptr(u)})
	}
	approvals := []approval{}
	for i, u := range v.approvedBy {
		approvals = append(approvals, approval{"APPROVE", userRef{ptr(u)}, r.CreatedOn.Add(time.Duration(i+1) * time.Hour)})
	}
	for _, u := range v.rejectedBy {
		approvals = append(approvals, approval{"ABORT", userRef{ptr(u)}, r.CreatedOn.Add(time.Hour)})
	}
	return map[string]any{
		"request": map[string]any{"id": r.ID, "type": r.Type, "status": governanceStatus(r.Status), "target_type": r.TargetType,
			"target_id": r.TargetID, "created_by": userRef{r.CreatedBy}, "created_on": r.CreatedOn,
			"current_step_index": 0, "expired_at": r.ExpiresAt},
		"governance_steps": []map[string]any{{"step_index": 0, "quorum": len(v.approvers), "group": nil,
			"approvers": approvers, "approvals": approvals}},
		"is_complete": r.Status != "PENDING_APPROVAL",
	}, nil
}

// governanceStatus is a Request.status in VaultTargetRequest's enum, which
// has no REJECTED and no PENDING_FIRST_APPROVAL: a rejection shows as ABORTED
// (its vote is an "ABORT" approval), a first approval pending as
// PENDING_APPROVAL.
func governanceStatus(status string) string {
	switch status {
	case "REJECTED":
		return "ABORTED"
	case "PENDING_FIRST_APPROVAL":
		return "PENDING_APPROVAL"
	}
	return status
}

func getDigest(c *call) (any, error) { return getByID(c, c.st.digests, "digests_id", "Digests") }

func digestHistory(c *call) (any, error) {
	return historyOf(c, c.st.digests, "digests_id", "Digests", "DIGESTS")
}

func listDigests(c *call) (any, error) {
	items := ofAccounts(c.q, c.st.digests, c.st.digestsByAccount)
	return list(c, items, stringIn(c.q, "status", func(d *Digest) string { return d.Status }))
}

func getMessage(c *call) (any, error) { return getByID(c, c.st.messages, "message_id", "Message") }

func messageHistory(c *call) (any, error) {
	return historyOf(c, c.st.messages, "message_id", "Message", "MESSAGE")
}

// listMessages: the message_type filter says EIP191 where the object says
// EIP-191 (the spec spells them differently).
func listMessages(c *call) (any, error) {
	items := ofAccounts(c.q, c.st.messages, c.st.messagesByAccount)
	ps := stringIn(c.q, "status", func(m *Message) string { return m.Status })
	ps = append(ps, stringIn(c.q, "message_type", func(m *Message) string {
		return strings.ReplaceAll(m.MessageType, "-", "")
	})...)
	return list(c, items, ps)
}
