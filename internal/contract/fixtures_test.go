package contract_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"reportgate/internal/ledgersim"
	"reportgate/internal/spec"
)

// fixtures are the ids a simulator's data set offers each path parameter,
// found through its oracle and its own lists.
type fixtures struct {
	ds          ledgersim.Dataset
	byType      map[string][]int    // Account.type → top-level account ids
	stakes      map[int][]string    // account id → stake uids
	addresses   map[string][]string // currency → account addresses
	parents     []int               // accounts with ERC-20 children
	tokens      []string            // token contract addresses
	currencies  []string
	labels      int
	pledges     int
	settlements int
}

func newFixtures(c *simClient, ds ledgersim.Dataset) *fixtures {
	f := &fixtures{ds: ds, byType: map[string][]int{}, stakes: map[int][]string{}, addresses: map[string][]string{}}
	for _, a := range ds.Accounts {
		if a.Parent != nil {
			if !slices.Contains(f.parents, *a.Parent) {
				f.parents = append(f.parents, *a.Parent)
			}
			continue
		}
		f.byType[a.Type] = append(f.byType[a.Type], a.ID)
		if a.Address != nil {
			f.addresses[a.Currency] = append(f.addresses[a.Currency], *a.Address)
		}
	}
	var currencies struct {
		Currencies []struct{ Name string } `json:"currencies"`
	}
	c.json("/currencies", &currencies)
	for _, cur := range currencies.Currencies {
		f.currencies = append(f.currencies, cur.Name)
	}
	var tokens struct {
		Tokens []struct {
			ContractAddress string `json:"contract_address"`
		} `json:"tokens"`
	}
	c.json("/currencies/tokens", &tokens)
	for _, tk := range tokens.Tokens {
		f.tokens = append(f.tokens, tk.ContractAddress)
	}
	f.labels, f.pledges, f.settlements = c.count("/labels"), c.count("/pledges"), c.count("/settlements")
	f.findStakes(c)
	return f
}

// count is a list's page_info.count.
func (c *simClient) count(target string) int {
	var page struct {
		PageInfo struct{ Count int } `json:"page_info"`
	}
	c.json(target, &page)
	return page.PageInfo.Count
}

func (f *fixtures) findStakes(c *simClient) {
	for family, typ := range map[string]string{"cardano": "Cardano", "solana": "Solana", "tezos": "Tezos"} {
		for _, id := range f.byType[typ] {
			var page struct {
				Edges []struct {
					Node struct {
						UID string `json:"stake_uid"`
					}
				}
			}
			c.json(fmt.Sprintf("/%s/accounts/%d/stakes?page_size=0", family, id), &page)
			for _, e := range page.Edges {
				f.stakes[id] = append(f.stakes[id], e.Node.UID)
			}
		}
	}
	for _, id := range f.byType["Ethereum"] {
		var stakes []struct{ UID string }
		c.json(fmt.Sprintf("/ethereum/accounts/%d/stakes", id), &stakes)
		for _, s := range stakes {
			f.stakes[id] = append(f.stakes[id], s.UID)
		}
	}
}

// pathValues returns the path parameter values to call route with: every
// account on account routes, a sample of the larger collections, every
// stake of every staking account.
func (f *fixtures) pathValues(route spec.Route) []map[string]string {
	names := route.Segments()
	switch {
	case slices.Contains(names, "{stake_uid}"):
		return f.stakeValues(route)
	case slices.Contains(names, "{account_id}") && slices.Contains(names, "{index}"):
		return cross("account_id", strs(f.accountsFor(route.Path)), "index", []string{"0", "3"})
	case slices.Contains(names, "{account_id}"):
		return each("account_id", f.accountsFor(route.Path))
	case slices.Contains(names, "{parent_account_id}"):
		return each("parent_account_id", f.parents)
	case slices.Contains(names, "{contract_address}"):
		return cross("currency_name", []string{"ethereum"}, "contract_address", f.tokens)
	case slices.Contains(names, "{currency_name}") && slices.Contains(names, "{address}"):
		var out []map[string]string
		for cur, addrs := range f.addresses {
			out = append(out, map[string]string{"currency_name": cur, "address": addrs[0]})
		}
		return out
	case slices.Contains(names, "{currency_name}"):
		return eachString("currency_name", f.currencies)
	case slices.Contains(names, "{address}"):
		return eachString("address", f.addresses["ethereum"][:1])
	}
	for _, p := range route.Params {
		if p.In == "path" {
			return each(p.Name, sample(f.idsOf(p.Name)))
		}
	}
	return []map[string]string{{}}
}

func (f *fixtures) accountsFor(path string) []int {
	family, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch {
	case family != "accounts":
		return f.byType[strings.ToUpper(family[:1])+family[1:]]
	case strings.HasSuffix(path, "/address/{index}"):
		return f.byType["Bitcoin"]
	case strings.HasSuffix(path, "/address"):
		var out []int
		for typ, ids := range f.byType {
			if typ != "Bitcoin" {
				out = append(out, ids...)
			}
		}
		slices.Sort(out)
		return out
	}
	ids := make([]int, len(f.ds.Accounts))
	for i, a := range f.ds.Accounts {
		ids[i] = a.ID
	}
	return ids
}

func (f *fixtures) stakeValues(route spec.Route) []map[string]string {
	var out []map[string]string
	for _, id := range f.accountsFor(route.Path) {
		for _, uid := range f.stakes[id] {
			out = append(out, map[string]string{"account_id": strconv.Itoa(id), "stake_uid": uid})
		}
	}
	return out
}

func (f *fixtures) idsOf(param string) []int {
	n := map[string]int{
		"digests_id": len(f.ds.Digests), "entity_id": len(f.ds.Entities), "group_id": len(f.ds.Groups),
		"message_id": len(f.ds.Messages), "request_id": len(f.ds.Requests), "transaction_id": len(f.ds.Transactions),
		"user_id": len(f.ds.Users), "whitelist_id": len(f.ds.Whitelists), "label_id": f.labels,
		"pledge_id": f.pledges, "settlement_id": f.settlements,
	}[param]
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i + 1
	}
	return ids
}

// sample keeps the first ten ids and every seventh after them: the lists,
// read whole at the largest page size, render every object anyway.
func sample(ids []int) []int {
	var out []int
	for i, id := range ids {
		if i < 10 || i%7 == 0 {
			out = append(out, id)
		}
	}
	return out
}

func each(name string, ids []int) []map[string]string {
	out := make([]map[string]string, len(ids))
	for i, id := range ids {
		out[i] = map[string]string{name: strconv.Itoa(id)}
	}
	return out
}

func strs(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(id)
	}
	return out
}

func eachString(name string, vals []string) []map[string]string {
	out := make([]map[string]string, len(vals))
	for i, v := range vals {
		out[i] = map[string]string{name: v}
	}
	return out
}

func cross(a string, as []string, b string, bs []string) []map[string]string {
	var out []map[string]string
	for _, x := range as {
		for _, y := range bs {
			out = append(out, map[string]string{a: x, b: y})
		}
	}
	return out
}
