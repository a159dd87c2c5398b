package ledgersim

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"reportgate/internal/spec"
)

// This file holds the in-process control API. Each change happens under
// the write lock and queues its upstream notifications before releasing
// it, so notifications go out in the order of the changes.

// Dataset returns a deep copy of the current data set.
func (s *Server) Dataset() Dataset {
	s.mu.RLock()
	view := s.st.datasetView()
	s.mu.RUnlock()
	return view.copy()
}

// Requests returns the recorded requests (the last 1000 outside /_sim/),
// oldest first.
func (s *Server) Requests() []RecordedRequest { return s.rec.since(0) }

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() { s.rec.reset() }

// Notifications returns the notification log (the last 1000), oldest
// first, with each delivery's outcome.
func (s *Server) Notifications() []Notification {
	log, _ := s.notify.snapshot()
	return log
}

// WaitNotifications blocks until cond holds for the notification log, or
// until ctx is done (then it returns ctx's error and the last log seen).
// It wakes on each change instead of polling.
func (s *Server) WaitNotifications(ctx context.Context, cond func([]Notification) bool) ([]Notification, error) {
	return s.notify.wait(ctx, cond)
}

// SetWebhook sets where notifications go; an empty url stops deliveries
// (they are still logged, as no_webhook).
func (s *Server) SetWebhook(url, secret string) error {
	if url != "" {
		if err := checkWebhookURL(url); err != nil {
			return invalid("webhook url: %v", err)
		}
		if secret == "" {
			return invalid("webhook secret is empty")
		}
	}
	s.notify.setTarget(webhook{URL: url, Secret: secret})
	return nil
}

// Faults returns the current faults.
func (s *Server) Faults() Faults { return s.faults.get() }

// SetFaults replaces the faults.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.faults.set(f)
	return nil
}

// Reset restores the seeded data set. Faults, the webhook, the recorded
// requests and the notification log are kept.
func (s *Server) Reset() {
	st := generate(s.cfg)
	s.mu.Lock()
	s.st = st
	s.mu.Unlock()
}

// Move is what MoveAccount did. From and To are entity ids, 0 for none.
type Move struct {
	Accounts []int // the account and its ERC-20 children
	From, To int
}

// The in-process methods answer ErrNotFound (HTTP 404) when the object they
// act on does not exist, and ErrInvalid (HTTP 400) for any other wrong
// input, including ids in the input that name nothing.

// MoveAccount moves an account, with its ERC-20 children, into entity
// (0: out of every entity), and sends ENTITY_HAS_BEEN_EDITED for each
// entity touched. Moving an account where it already is changes nothing.
// A child cannot be moved on its own.
func (s *Server) MoveAccount(accountID, entity int) (Move, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	a := byID(st.accounts, accountID)
	switch {
	case a == nil:
		return Move{}, missing("account", accountID)
	case a.Parent != nil:
		return Move{}, invalid("account %d is an ERC-20 child of account %d; move the parent", a.ID, *a.Parent)
	case entity != 0 && byID(st.entities, entity) == nil:
		return Move{}, invalid("entity %d does not exist", entity)
	}
	m := Move{Accounts: append([]int{a.ID}, st.children[a.ID]...), From: st.entityOf[a.ID], To: entity}
	if m.From == m.To {
		return m, nil
	}
	moving := set(m.Accounts)
	if m.From != 0 {
		st.editEntity(m.From, func(ids []int) []int {
			return slices.DeleteFunc(ids, func(id int) bool { return moving[id] })
		})
		s.notify.notify("ENTITY", "ENTITY_HAS_BEEN_EDITED", m.From)
	}
	for _, id := range m.Accounts {
		delete(st.entityOf, id)
	}
	if m.To != 0 {
		st.addToEntity(m.To, m.Accounts...)
		s.notify.notify("ENTITY", "ENTITY_HAS_BEEN_EDITED", m.To)
	}
	return m, nil
}

// editEntity replaces an entity by a copy whose accounts are edit(copy of
// the accounts), kept in ascending order.
func (st *store) editEntity(id int, edit func([]int) []int) {
	replace(st.entities, id, func(e *Entity) {
		e.Accounts = edit(slices.Clone(e.Accounts))
		slices.Sort(e.Accounts)
	})
}

func (st *store) addToEntity(entity int, ids ...int) {
	st.editEntity(entity, func(acc []int) []int { return append(acc, ids...) })
	for _, id := range ids {
		st.entityOf[id] = entity
	}
}

// SetGroupMembers replaces a group's members and sends GROUP_HAS_BEEN_EDITED.
func (s *Server) SetGroupMembers(groupID int, members []int) (Group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if byID(st.groups, groupID) == nil {
		return Group{}, missing("group", groupID)
	}
	if err := st.checkUsers(members); err != nil {
		return Group{}, err
	}
	replace(st.groups, groupID, func(g *Group) { g.Members = slices.Clone(members) })
	s.notify.notify("GROUP", "GROUP_HAS_BEEN_EDITED", groupID)
	return st.groups[groupID-1].clone(), nil
}

// checkUsers accepts distinct ids of existing users.
func (st *store) checkUsers(ids []int) error {
	seen := map[int]bool{}
	for _, id := range ids {
		if byID(st.users, id) == nil {
			return invalid("user %d does not exist", id)
		}
		if seen[id] {
			return invalid("user %d is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

// specEnums are value lists the control API checks input against, taken
// from internal/spec.
type specEnums struct {
	requestTypes []string // Request.type
	txStatuses   []string // Transaction.status
}

func loadSpecEnums() (specEnums, error) {
	doc, err := spec.Load()
	if err != nil {
		return specEnums{}, err
	}
	var e specEnums
	for _, rt := range doc.Routes {
		switch rt.Method + " " + rt.Path {
		case "GET /requests":
			e.requestTypes = rt.QueryParams()["type"].Enum
		case "GET /transactions":
			e.txStatuses = rt.QueryParams()["status"].Enum
		}
	}
	if len(e.requestTypes) == 0 || len(e.txStatuses) == 0 {
		return e, fmt.Errorf("ledgersim: spec: request types or transaction statuses not found")
	}
	return e, nil
}

// accountPayloadType is the coin-specific payload type of account
// notifications, e.g. ETHEREUM_ACCOUNT, ERC20_ACCOUNT.
func accountPayloadType(a *Account) string {
	return strings.ToUpper(a.Type) + "_ACCOUNT"
}
