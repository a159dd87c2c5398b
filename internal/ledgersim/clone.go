package ledgersim

import (
	"encoding/json"
	"slices"
)

// Deep copies of the exported types, so that what the Server hands out
// shares nothing with the store. A nil slice or pointer stays nil.

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func (e Entity) clone() Entity {
	e.Accounts = slices.Clone(e.Accounts)
	e.LastRequest = clonePtr(e.LastRequest)
	return e
}

func (a Account) clone() Account {
	a.Parent, a.Address, a.ContractAddress = clonePtr(a.Parent), clonePtr(a.Address), clonePtr(a.ContractAddress)
	a.DerivationPath, a.Xpub, a.LastRequest = clonePtr(a.DerivationPath), clonePtr(a.Xpub), clonePtr(a.LastRequest)
	a.CoinFields, a.TradelinkData = clonePtr(a.CoinFields), clonePtr(a.TradelinkData)
	if a.CoinFields != nil {
		*a.CoinFields = slices.Clone(*a.CoinFields)
	}
	if a.TradelinkData != nil {
		*a.TradelinkData = slices.Clone(*a.TradelinkData)
	}
	a.GovernanceRules = cloneRules(a.GovernanceRules)
	a.Labels, a.TokenAccounts = slices.Clone(a.Labels), slices.Clone(a.TokenAccounts)
	return a
}

// cloneRules deep-copies rule sets.
func cloneRules(sets []RuleSet) []RuleSet {
	if sets == nil {
		return nil
	}
	out := make([]RuleSet, len(sets))
	for i, rs := range sets {
		out[i] = rs
		if rs.Rules == nil {
			continue
		}
		out[i].Rules = make([]Rule, len(rs.Rules))
		for j, rule := range rs.Rules {
			out[i].Rules[j] = rule
			if rule.Data != nil {
				out[i].Rules[j].Data = make([]RuleEntry, len(rule.Data))
			}
			for k, e := range rule.Data {
				out[i].Rules[j].Data[k] = e.clone()
			}
		}
	}
	return out
}

func (e RuleEntry) clone() RuleEntry {
	e.Group, e.Whitelist, e.Min, e.Max = clonePtr(e.Group), clonePtr(e.Whitelist), clonePtr(e.Min), clonePtr(e.Max)
	e.Condition, e.Preset, e.Enabled = clonePtr(e.Condition), clonePtr(e.Preset), clonePtr(e.Enabled)
	e.Users = slices.Clone(e.Users)
	if e.Filters != nil { // values are JSON values: strings or lists of strings
		raw, _ := json.Marshal(e.Filters)
		e.Filters = map[string]any{}
		json.Unmarshal(raw, &e.Filters)
	}
	return e
}

func (u User) clone() User {
	u.UserID, u.PubKey, u.KeyHandle, u.LastRequest = clonePtr(u.UserID), clonePtr(u.PubKey), clonePtr(u.KeyHandle), clonePtr(u.LastRequest)
	return u
}

func (g Group) clone() Group {
	g.Members, g.LastRequest = slices.Clone(g.Members), clonePtr(g.LastRequest)
	return g
}

func (w Whitelist) clone() Whitelist {
	w.LastRequest = clonePtr(w.LastRequest)
	w.Addresses = slices.Clone(w.Addresses)
	for i := range w.Addresses {
		w.Addresses[i].DestinationTags = slices.Clone(w.Addresses[i].DestinationTags)
	}
	return w
}

func (x Transaction) clone() Transaction {
	x.Amount, x.Fees, x.MaxFees, x.Recipient = clonePtr(x.Amount), clonePtr(x.Fees), clonePtr(x.MaxFees), clonePtr(x.Recipient)
	x.TxHash, x.UID, x.InteractionType, x.Speed = clonePtr(x.TxHash), clonePtr(x.UID), clonePtr(x.InteractionType), clonePtr(x.Speed)
	x.LastRequest, x.Block, x.BroadcastOn = clonePtr(x.LastRequest), clonePtr(x.Block), clonePtr(x.BroadcastOn)
	x.Senders, x.Labels, x.Notes = slices.Clone(x.Senders), slices.Clone(x.Labels), slices.Clone(x.Notes)
	if x.CoinFields != nil {
		cf := *x.CoinFields
		cf.FeesPerByte, cf.GasLimit, cf.GasPrice = clonePtr(cf.FeesPerByte), clonePtr(cf.GasLimit), clonePtr(cf.GasPrice)
		cf.DestinationTag, cf.Memo = clonePtr(cf.DestinationTag), clonePtr(cf.Memo)
		x.CoinFields = &cf
	}
	return x
}

func (r Request) clone() Request {
	r.CreatedBy, r.UsedAdminGroup = clonePtr(r.CreatedBy), clonePtr(r.UsedAdminGroup)
	return r
}

func (d Digest) clone() Digest {
	d.LastRequest, d.Notes = clonePtr(d.LastRequest), slices.Clone(d.Notes)
	d.DigestsData = slices.Clone(d.DigestsData)
	for i, dd := range d.DigestsData {
		if dd.Signature != nil {
			sig := *dd.Signature
			sig.V, sig.Der = clonePtr(sig.V), clonePtr(sig.Der)
			d.DigestsData[i].Signature = &sig
		}
	}
	return d
}

func (m Message) clone() Message {
	m.Address, m.Signature, m.LastRequest = clonePtr(m.Address), clonePtr(m.Signature), clonePtr(m.LastRequest)
	m.Notes = slices.Clone(m.Notes)
	return m
}

// cloneAll copies a collection of published objects.
func cloneAll[T any](xs []*T, clone func(T) T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = clone(*x)
	}
	return out
}

// copy returns a deep copy of the view.
func (v datasetView) copy() Dataset {
	return Dataset{
		Entities: cloneAll(v.Entities, Entity.clone), Accounts: cloneAll(v.Accounts, Account.clone),
		Users: cloneAll(v.Users, User.clone), Groups: cloneAll(v.Groups, Group.clone),
		Whitelists: cloneAll(v.Whitelists, Whitelist.clone), Transactions: cloneAll(v.Transactions, Transaction.clone),
		Requests: cloneAll(v.Requests, Request.clone), Digests: cloneAll(v.Digests, Digest.clone),
		Messages: cloneAll(v.Messages, Message.clone),
	}
}
