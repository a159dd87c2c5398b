package ledgersim

import (
	"slices"
	"time"
)

// NewTransaction describes a transaction for AddTransaction.
type NewTransaction struct {
	AccountID int    `json:"account_id"`
	Type      string `json:"type"`                // RECEIVE or SEND
	Amount    string `json:"amount,omitempty"`    // base units; "": drawn from the seed
	Status    string `json:"status,omitempty"`    // "": CONFIRMED for RECEIVE, SUBMITTED for SEND
	Recipient string `json:"recipient,omitempty"` // SEND only; "": a whitelisted or drawn address
}

// txEvents maps the transaction types AddTransaction takes to their event.
var txEvents = map[string]string{
	"RECEIVE": "NEW_TRANSACTION_HAS_BEEN_RECEIVED",
	"SEND":    "NEW_TRANSACTION_HAS_BEEN_BROADCASTED",
}

// AddTransaction adds a transaction to an account, created now, and sends
// NEW_TRANSACTION_HAS_BEEN_RECEIVED (RECEIVE) or
// NEW_TRANSACTION_HAS_BEEN_BROADCASTED (SEND).
func (s *Server) AddTransaction(n NewTransaction) (Transaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	a := byID(st.accounts, n.AccountID)
	if a == nil {
		return Transaction{}, missing("account", n.AccountID)
	}
	if err := s.checkNewTransaction(&n); err != nil {
		return Transaction{}, err
	}
	id := len(st.transactions) + 1
	r := newRand(s.cfg.Seed, "added-transaction", id)
	tx := newTransaction(r, st, a, n.Type, s.now())
	tx.ID, tx.Status = id, n.Status
	if n.Amount != "" {
		tx.Amount = ptr(n.Amount)
	}
	if n.Recipient != "" {
		tx.Recipient = ptr(n.Recipient)
	}
	settle(r, tx)
	st.transactions = append(st.transactions, tx)
	appendIndex(st.txByAccount, a.ID, id)
	s.notify.notify("TRANSACTION", txEvents[n.Type], id)
	return tx.clone(), nil
}

// checkNewTransaction validates n and fills its defaults.
func (s *Server) checkNewTransaction(n *NewTransaction) error {
	if _, ok := txEvents[n.Type]; !ok {
		return invalid("type %q: want RECEIVE or SEND", n.Type)
	}
	if n.Status == "" {
		n.Status = map[string]string{"RECEIVE": "CONFIRMED", "SEND": "SUBMITTED"}[n.Type]
	}
	if !slices.Contains(s.enums.txStatuses, n.Status) {
		return invalid("status %q is not a transaction status", n.Status)
	}
	if n.Amount != "" && !decimalPattern.MatchString(n.Amount) {
		return invalid("amount %q is not a decimal amount in base units", n.Amount)
	}
	if n.Recipient != "" && n.Type != "SEND" {
		return invalid("recipient is for SEND transactions (a RECEIVE's recipient is the account)")
	}
	return nil
}

// now is the clock for new objects, to the millisecond.
func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Millisecond) }

// SetGovernance replaces an account's governance rules and sends
// ACCOUNT_HAS_BEEN_EDITED with the coin-specific payload type (e.g.
// ETHEREUM_ACCOUNT). Rule set and rule ids are assigned afresh, indexes
// follow the order given. The account's ERC-20 children keep their own
// rules.
func (s *Server) SetGovernance(accountID int, rules []RuleSet) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	a := byID(st.accounts, accountID)
	if a == nil {
		return Account{}, missing("account", accountID)
	}
	if err := st.checkRuleSets(rules); err != nil {
		return Account{}, err
	}
	replace(st.accounts, accountID, func(a *Account) { a.GovernanceRules = st.adoptRules(rules) })
	s.notify.notify(accountPayloadType(a), "ACCOUNT_HAS_BEEN_EDITED", accountID)
	return st.accounts[accountID-1].clone(), nil
}

// adoptRules copies rule sets into the store's numbering.
func (st *store) adoptRules(rules []RuleSet) []RuleSet {
	out := renumberRules(cloneRules(rules), func() int { st.nextRuleID++; return st.nextRuleID })
	for i := range out {
		out[i].Index = i
	}
	return out
}

// NewRequest describes a request for AddRequest.
type NewRequest struct {
	TargetType string `json:"target_type"`          // ACCOUNT, TRANSACTION, USER, WHITELIST, GROUP, ENTITY, DIGESTS or MESSAGE
	TargetID   int    `json:"target_id"`            // an existing object of that type
	Type       string `json:"type"`                 // a Request.type, e.g. EDIT_ACCOUNT
	CreatedBy  int    `json:"created_by,omitempty"` // a user id; 0: the API user
}

// AddRequest files a pending request on an object, makes it the object's
// last_request and sends REQUEST_HAS_BEEN_CREATED.
func (s *Server) AddRequest(n NewRequest) (Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if err := s.checkNewRequest(n); err != nil {
		return Request{}, err
	}
	id := len(st.requests) + 1
	t := s.now()
	req := &Request{ID: id, Type: n.Type, Status: "PENDING_APPROVAL", TargetType: n.TargetType,
		TargetID: n.TargetID, CreatedBy: st.creator(n.CreatedBy, s.cfg.APIUser), CreatedOn: t, ExpiresAt: t.Add(requestTTL)}
	approvers := pickN(newRand(s.cfg.Seed, "added-request", id), st.approverPool(n.TargetType), 2)
	st.requests = append(st.requests, req)
	st.votes = append(st.votes, votes{approvers: approvers, pendingBy: approvers})
	st.linkRequest(req)
	s.notify.notify("REQUEST", "REQUEST_HAS_BEEN_CREATED", id)
	return req.clone(), nil
}

func (s *Server) checkNewRequest(n NewRequest) error {
	st := s.st
	if !slices.Contains(s.enums.requestTypes, n.Type) {
		return invalid("type %q is not a request type", n.Type)
	}
	if !slices.ContainsFunc(requestKinds, func(k requestKind) bool { return k.target == n.TargetType }) {
		return invalid("target_type %q: the simulator has ACCOUNT, TRANSACTION, USER, WHITELIST, GROUP, ENTITY, DIGESTS and MESSAGE", n.TargetType)
	}
	if !st.exists(n.TargetType, n.TargetID) {
		return missing(n.TargetType, n.TargetID)
	}
	if n.CreatedBy != 0 && byID(st.users, n.CreatedBy) == nil {
		return missing("user", n.CreatedBy)
	}
	return nil
}

// creator is id, or the API user's id when id is 0 (nil if there is none).
func (st *store) creator(id int, apiUser string) *int {
	if id != 0 {
		return ptr(id)
	}
	for _, u := range st.users {
		if u.IsAPI && u.Username == apiUser {
			return ptr(u.ID)
		}
	}
	return nil
}

// approverPool: admins for administrative targets, operators for the rest.
func (st *store) approverPool(kind string) []int {
	role := "ADMIN"
	switch kind {
	case "TRANSACTION", "DIGESTS", "MESSAGE":
		role = "OPERATOR"
	}
	var ids []int
	for _, u := range st.users {
		if u.Role == role && !u.IsAPI {
			ids = append(ids, u.ID)
		}
	}
	if len(ids) == 0 {
		ids = []int{1}
	}
	return ids
}
