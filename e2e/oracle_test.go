package e2e_test

import (
	"sort"

	"reportgate/internal/ledgersim"
)

// oracle is a key's scope computed from the simulator's data set, apart
// from the gateway's own code (docs/design.md §1).
type oracle struct {
	entities, accounts, users, groups, whitelists, transactions map[int64]bool
	requests, digests, messages                                 map[int64]bool
}

func scopeOf(d ledgersim.Dataset, entities ...int64) oracle {
	o := oracle{entities: set(), accounts: set(), users: set(), groups: set(), whitelists: set(),
		transactions: set(), requests: set(), digests: set(), messages: set()}
	for _, e := range entities {
		o.entities[e] = true
	}
	for _, e := range d.Entities {
		if o.entities[int64(e.ID)] {
			for _, a := range e.Accounts {
				o.accounts[int64(a)] = true
			}
		}
	}
	for _, a := range d.Accounts {
		if !o.accounts[int64(a.ID)] {
			continue
		}
		for _, rs := range a.GovernanceRules {
			for _, r := range rs.Rules {
				for _, entry := range r.Data {
					switch r.Type {
					case ledgersim.RuleMultiAuth:
						if entry.Group != nil {
							o.groups[int64(*entry.Group)] = true
						}
						for _, u := range entry.Users {
							o.users[int64(u)] = true
						}
					case ledgersim.RuleWhitelist:
						if entry.Whitelist != nil {
							o.whitelists[int64(*entry.Whitelist)] = true
						}
					}
				}
			}
		}
	}
	for _, g := range d.Groups {
		if o.groups[int64(g.ID)] {
			for _, m := range g.Members {
				o.users[int64(m)] = true
			}
		}
	}
	for _, tx := range d.Transactions {
		if o.accounts[int64(tx.AccountID)] {
			o.transactions[int64(tx.ID)] = true
		}
	}
	for _, x := range d.Digests {
		if o.accounts[int64(x.AccountID)] {
			o.digests[int64(x.ID)] = true
		}
	}
	for _, x := range d.Messages {
		if o.accounts[int64(x.AccountID)] {
			o.messages[int64(x.ID)] = true
		}
	}
	for _, r := range d.Requests {
		id := int64(r.TargetID)
		if (r.TargetType == "ACCOUNT" && o.accounts[id]) || (r.TargetType == "USER" && o.users[id]) ||
			(r.TargetType == "TRANSACTION" && o.transactions[id]) {
			o.requests[int64(r.ID)] = true
		}
	}
	return o
}

func set() map[int64]bool { return map[int64]bool{} }

func keys(m map[int64]bool) []int64 {
	var out []int64
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// outside returns an id of coll that the scope does not cover.
func outside(m map[int64]bool, all []int64) int64 {
	for _, id := range all {
		if !m[id] {
			return id
		}
	}
	return -1
}
