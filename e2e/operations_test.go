package e2e_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"reportgate/internal/gateway"
	"reportgate/internal/ledgersim"
	"reportgate/notify"
	"reportgate/policy"
)

// TestEveryOperationThroughTheGateway calls every operation of the spec
// through the gateway, as a partner whose key covers every entity: each
// operation a reporting key may call answers 200 at least once, each it
// may not answers 403, and the world's recorder validates every answer and
// every request sent upstream against the spec (issue 17: no operation
// skipped; docs/contract.md's table shows what each was answered).
func TestEveryOperationThroughTheGateway(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	d := entityForEveryFamily(t, w)
	var entities []int64
	for _, e := range d.Entities {
		entities = append(entities, int64(e.ID))
	}
	_, secret := w.key(entities...)
	s := &sweep{t: t, g: g, secret: secret, d: d}
	for _, rule := range policy.Table() {
		switch {
		case rule.Strategy == policy.Gateway:
			continue // the configuration's own sequence, below
		case rule.Strategy == policy.Deny:
			s.denied(rule)
		default:
			s.served(rule)
		}
	}
	s.configuration()
}

// entityForEveryFamily moves into entity 1 a top-level account of each
// staking family none of whose accounts is in an entity (the data set's
// only Solana account is in none), so that a key can read every route.
func entityForEveryFamily(t *testing.T, w *world) ledgersim.Dataset {
	t.Helper()
	d := w.sim.Dataset()
	inEntity := map[int]bool{}
	for _, e := range d.Entities {
		for _, a := range e.Accounts {
			inEntity[a] = true
		}
	}
	for _, family := range []string{"Cardano", "Ethereum", "Solana", "Tezos"} {
		var outside []int
		for _, a := range d.Accounts {
			if a.Type == family && a.Parent == nil {
				if inEntity[a.ID] {
					outside = nil
					break
				}
				outside = append(outside, a.ID)
			}
		}
		if len(outside) > 0 {
			if _, err := w.sim.MoveAccount(outside[0], 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w.sim.Dataset()
}

// sweep calls the operations of one key.
type sweep struct {
	t      *testing.T
	g      *gateway.Gateway
	secret string
	d      ledgersim.Dataset
}

// maxTries bounds the candidates tried for one operation.
const maxTries = 40

func (s *sweep) get(target string) answer { return get(s.t, s.g, s.secret, target) }

// served tries the operation with candidate parameters until one is
// answered 200.
func (s *sweep) served(rule policy.Rule) {
	var statuses []int
	for i, target := range s.targets(rule.Path) {
		if i == maxTries {
			break
		}
		a := s.get(target)
		if a.status == http.StatusOK {
			return
		}
		statuses = append(statuses, a.status)
	}
	s.t.Errorf("%s %s: never answered 200 (statuses %v)", rule.Method, rule.Path, statuses)
}

// denied sends the operation once and wants 403. A denied write is
// refused by its operation whatever its body, so the body it is sent with
// is not judged (specSilent); the answer is.
func (s *sweep) denied(rule policy.Rule) {
	targets := s.targets(rule.Path)
	if len(targets) == 0 {
		s.t.Errorf("%s %s: no target", rule.Method, rule.Path)
		return
	}
	request := rule.Method + " " + targets[0] + " HTTP/1.1\r\nHost: gw\r\n" + s.auth()
	view := specAllows
	if rule.Method != http.MethodGet {
		request += "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
		view = specSilent
	} else {
		request += "\r\n"
	}
	if a := sendAs(s.t, s.g.ProxyAddr(), request, view); a.status != http.StatusForbidden {
		s.t.Errorf("%s %s: %d %s, want 403", rule.Method, targets[0], a.status, a.body)
	}
}

func (s *sweep) auth() string {
	return "X-Ledger-Reporting-API-Key: " + s.secret + "\r\nX-Ledger-Workspace: acme\r\n"
}

// configuration: none yet (404), set (200), read back with the secret
// masked (200), the mask sent back refused (400), removed (204).
func (s *sweep) configuration() {
	put := func(secret string) answer {
		body := `{"all":{"webhook":{"url":"https://example.com/hook","secret":"` + secret + `"}}}`
		request := "PUT /notifications/configuration HTTP/1.1\r\nHost: gw\r\n" + s.auth() +
			"Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
		return raw(s.t, s.g.ProxyAddr(), request)
	}
	masked := `{"all":{"webhook":{"secret":"` + notify.SecretMask + `","url":"https://example.com/hook"}}}`
	steps := []struct {
		name string
		do   func() answer
		want int
		body string
	}{
		{"GET before any", func() answer { return s.get("/notifications/configuration") }, 404, ""},
		{"PUT", func() answer { return put("0123456789abcdef") }, 200, masked},
		{"GET", func() answer { return s.get("/notifications/configuration") }, 200, masked},
		{"PUT of the mask", func() answer { return put(notify.SecretMask) }, 400, ""},
		{"DELETE", func() answer {
			return raw(s.t, s.g.ProxyAddr(), "DELETE /notifications/configuration HTTP/1.1\r\nHost: gw\r\n"+s.auth()+"\r\n")
		}, 204, ""},
	}
	for _, st := range steps {
		a := st.do()
		if a.status != st.want || (st.body != "" && string(a.body) != st.body) {
			s.t.Errorf("configuration, %s: %d %s, want %d %s", st.name, a.status, a.body, st.want, st.body)
		}
	}
}

// targets fills path's parameters with candidates from the data set,
// the likeliest first (an account of the route's family, a UTXO account
// for an address by index, …).
func (s *sweep) targets(path string) []string {
	out := []string{path}
	for strings.Contains(out[0], "{") {
		var next []string
		for _, partial := range out {
			i, j := strings.IndexByte(partial, '{'), strings.IndexByte(partial, '}')
			for _, v := range s.values(path, partial[i+1:j], partial[:i]) {
				next = append(next, partial[:i]+v+partial[j+1:])
				if len(next) == maxTries {
					break
				}
			}
		}
		out = next
	}
	if path == "/accounts/{account_id}/address/{index}" {
		for i := range out {
			out[i] += "?type=receive"
		}
	}
	return out
}

// values are the candidates for param, given the path before it.
func (s *sweep) values(path, param, before string) []string {
	switch param {
	case "account_id", "parent_account_id":
		return itoa(s.accounts(path))
	case "index":
		return []string{"0"}
	case "stake_uid":
		return s.stakes(before)
	case "currency_name", "address", "contract_address":
		return s.reference(path, param, before)
	case "entity_id":
		return idsOf(s.d.Entities, func(x ledgersim.Entity) int { return x.ID })
	case "user_id":
		return idsOf(s.d.Users, func(x ledgersim.User) int { return x.ID })
	case "group_id":
		return idsOf(s.d.Groups, func(x ledgersim.Group) int { return x.ID })
	case "whitelist_id":
		return idsOf(s.d.Whitelists, func(x ledgersim.Whitelist) int { return x.ID })
	case "transaction_id":
		return idsOf(s.d.Transactions, func(x ledgersim.Transaction) int { return x.ID })
	case "request_id":
		return idsOf(s.d.Requests, func(x ledgersim.Request) int { return x.ID })
	case "digests_id":
		return idsOf(s.d.Digests, func(x ledgersim.Digest) int { return x.ID })
	case "message_id":
		return idsOf(s.d.Messages, func(x ledgersim.Message) int { return x.ID })
	}
	return []string{"1"} // objects no key may read (labels, pledges, settlements)
}

// accounts are the data set's accounts, those path likely wants first;
// for a staking family's routes, that family's only.
func (s *sweep) accounts(path string) []int {
	family := strings.Split(path, "/")[1]
	staking := family == "cardano" || family == "ethereum" || family == "solana" || family == "tezos"
	prefer := func(a ledgersim.Account) bool {
		switch {
		case staking:
			return strings.EqualFold(a.Type, family)
		case strings.Contains(path, "/address/"):
			return a.Xpub != nil
		case strings.HasSuffix(path, "/address"):
			return a.Address != nil
		case strings.Contains(path, "nft"), strings.Contains(path, "erc20"):
			return a.Type == "Ethereum"
		}
		return a.Parent == nil
	}
	var first, rest []int
	for _, a := range s.d.Accounts {
		if prefer(a) {
			first = append(first, a.ID)
		} else if !staking {
			rest = append(rest, a.ID)
		}
	}
	return append(first, rest...)
}

// stakes are the stake uids the gateway lists for the account in before
// ("/ethereum/accounts/7/stakes/").
func (s *sweep) stakes(before string) []string {
	a := s.get(strings.TrimSuffix(before, "/"))
	if a.status != http.StatusOK {
		return nil
	}
	var uids []string
	var items []struct {
		UID string `json:"uid"`
	}
	if json.Unmarshal(a.body, &items) == nil {
		for _, x := range items {
			uids = append(uids, x.UID)
		}
		return uids
	}
	var page struct {
		Edges []struct {
			Node struct {
				StakeUID string `json:"stake_uid"`
			} `json:"node"`
		} `json:"edges"`
	}
	_ = json.Unmarshal(a.body, &page)
	for _, e := range page.Edges {
		uids = append(uids, e.Node.StakeUID)
	}
	return uids
}

// reference fills the currency routes' parameters from the gateway's own
// reference lists and the accounts' addresses.
func (s *sweep) reference(path, param, before string) []string {
	switch {
	case param == "currency_name" && strings.Contains(path, "/tokens/"):
		var tokens struct {
			Tokens []struct {
				ParentCurrency string `json:"parent_currency"`
			} `json:"tokens"`
		}
		_ = json.Unmarshal(s.get("/currencies/tokens").body, &tokens)
		var out []string
		for _, tk := range tokens.Tokens {
			if !slices.Contains(out, tk.ParentCurrency) {
				out = append(out, tk.ParentCurrency)
			}
		}
		return out
	case param == "contract_address":
		var tokens struct {
			Tokens []struct {
				ParentCurrency  string `json:"parent_currency"`
				ContractAddress string `json:"contract_address"`
			} `json:"tokens"`
		}
		_ = json.Unmarshal(s.get("/currencies/tokens").body, &tokens)
		var out []string
		for _, tk := range tokens.Tokens {
			if strings.HasPrefix(before, "/currencies/"+tk.ParentCurrency+"/") {
				out = append(out, tk.ContractAddress)
			}
		}
		return out
	case param == "currency_name" && path == "/currencies/{currency_name}/{address}":
		var out []string
		for _, a := range s.d.Accounts {
			if a.Address != nil && !slices.Contains(out, a.Currency) {
				out = append(out, a.Currency)
			}
		}
		return out
	case param == "currency_name":
		var list struct {
			Currencies []struct{ Name string } `json:"currencies"`
		}
		_ = json.Unmarshal(s.get("/currencies").body, &list)
		var out []string
		for _, c := range list.Currencies {
			out = append(out, c.Name)
		}
		return out
	}
	var out []string // an address: the accounts', of the currency in before
	for _, a := range s.d.Accounts {
		if a.Address != nil && (strings.HasPrefix(before, "/compliance/") || strings.HasPrefix(before, "/currencies/"+a.Currency+"/")) {
			out = append(out, *a.Address)
		}
	}
	return out
}

func idsOf[T any](xs []T, id func(T) int) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, strconv.Itoa(id(x)))
	}
	return out
}

func itoa(xs []int) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strconv.Itoa(x)
	}
	return out
}
