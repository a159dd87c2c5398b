package policy

import (
	"bytes"
	"slices"
	"strconv"
	"time"
)

// IDSet is a sorted set of ids; membership is a binary search, no
// allocation.
type IDSet []int64

// NewIDSet sorts and deduplicates ids into a set (it may reuse ids).
func NewIDSet(ids []int64) IDSet {
	slices.Sort(ids)
	return IDSet(slices.Compact(ids))
}

// Has reports whether id is in the set.
func (s IDSet) Has(id int64) bool {
	_, ok := slices.BinarySearch(s, id)
	return ok
}

// Scope is what one key may read: its entities and what they cover
// (docs/design.md §1). A Scope is immutable once built and safe for concurrent use.
type Scope struct {
	Entities   IDSet
	Accounts   IDSet
	Users      IDSet
	Groups     IDSet
	Whitelists IDSet
	// Built is when the oldest snapshot it was made of was fetched.
	Built time.Time

	// filters holds the ready-made injection of each set, e.g.
	// "entity=1&entity=2", built once so injecting allocates nothing.
	filters [Whitelists + 1]map[string][]byte
}

// NewScope builds a scope from its sets (each sorted and deduplicated).
func NewScope(entities, accounts, users, groups, whitelists []int64, built time.Time) *Scope {
	return &Scope{
		Entities:   NewIDSet(entities),
		Accounts:   NewIDSet(accounts),
		Users:      NewIDSet(users),
		Groups:     NewIDSet(groups),
		Whitelists: NewIDSet(whitelists),
		Built:      built,
	}
}

// Set returns the named set.
func (s *Scope) Set(set Set) IDSet {
	switch set {
	case Entities:
		return s.Entities
	case Accounts:
		return s.Accounts
	case Users:
		return s.Users
	case Groups:
		return s.Groups
	case Whitelists:
		return s.Whitelists
	}
	return nil
}

// Has reports whether id is in the named set.
func (s *Scope) Has(set Set, id int64) bool { return s.Set(set).Has(id) }

// prepareFilters builds the injection fragments for the given filters; it
// is called once by whoever builds the scope, before it is shared.
func (s *Scope) prepareFilters(rules []Rule) {
	for _, r := range rules {
		if r.Strategy != Inject {
			continue
		}
		if s.filters[r.FilterSet] == nil {
			s.filters[r.FilterSet] = map[string][]byte{}
		}
		if _, ok := s.filters[r.FilterSet][r.Filter]; ok {
			continue
		}
		var b []byte
		for i, id := range s.Set(r.FilterSet) {
			if i > 0 {
				b = append(b, '&')
			}
			b = append(b, r.Filter...)
			b = append(b, '=')
			b = strconv.AppendInt(b, id, 10)
		}
		s.filters[r.FilterSet][r.Filter] = b
	}
}

// Filter returns the ready-made "name=id&name=id…" of a set.
func (s *Scope) Filter(set Set, name string) []byte {
	return s.filters[set][name]
}

// TargetKind classifies a request's target_type.
type TargetKind uint8

const (
	TargetOther TargetKind = iota
	TargetAccount
	TargetUser
	TargetTransaction
)

// ClassifyTarget maps a target_type to what a key's scope can cover. The
// help centre names requests targeting accounts, users and transactions;
// coin-specific variants (TEZOS_LIKE_TRANSACTION, BITCOIN_ACCOUNT) are
// matched by suffix.
func ClassifyTarget(t []byte) TargetKind {
	switch {
	case bytes.Equal(t, []byte("ACCOUNT")) || bytes.HasSuffix(t, []byte("_ACCOUNT")):
		return TargetAccount
	case bytes.Equal(t, []byte("USER")):
		return TargetUser
	case bytes.Equal(t, []byte("TRANSACTION")) || bytes.HasSuffix(t, []byte("_TRANSACTION")):
		return TargetTransaction
	}
	return TargetOther
}
