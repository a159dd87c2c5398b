package ledgersim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"reportgate/internal/ledgersim"
	"reportgate/internal/spec"
)

// samples picks, for each path parameter, a value the simulator knows.
type samples struct {
	staking  map[string]int    // family → an account with stakes
	stakeUID map[string]string // family → one of that account's stakes
	utxo     int               // a Bitcoin account
	parent   int               // an account with ERC-20 children
}

func findSamples(t *testing.T, s *ledgersim.Server) samples {
	t.Helper()
	d := s.Dataset()
	sm := samples{staking: map[string]int{}, stakeUID: map[string]string{}, parent: firstParent(d)}
	for _, a := range d.Accounts {
		family := strings.ToLower(a.Type)
		switch {
		case a.Type == "Bitcoin" && sm.utxo == 0:
			sm.utxo = a.ID
		case strIn(family, "cardano", "solana", "tezos", "ethereum") && sm.staking[family] == 0:
			if uid := firstStakeUID(t, s, family, a.ID); uid != "" {
				sm.staking[family], sm.stakeUID[family] = a.ID, uid
			}
		}
	}
	for _, f := range []string{"cardano", "solana", "tezos", "ethereum"} {
		if sm.staking[f] == 0 {
			t.Fatalf("no %s account with stakes in the default data set", f)
		}
	}
	return sm
}

func firstStakeUID(t *testing.T, s *ledgersim.Server, family string, account int) string {
	path := fmt.Sprintf("/%s/accounts/%d/stakes", family, account)
	if family == "ethereum" {
		var stakes []struct{ UID string }
		getJSON(t, s, path, &stakes)
		if len(stakes) > 0 {
			return stakes[0].UID
		}
		return ""
	}
	var p page
	getJSON(t, s, path, &p)
	for _, e := range p.Edges {
		var n struct {
			StakeUID string `json:"stake_uid"`
		}
		json.Unmarshal(e.Node, &n)
		return n.StakeUID
	}
	return ""
}

// fill substitutes the route's path parameters with known objects.
func (sm samples) fill(r spec.Route) string {
	family := strings.Split(r.Path, "/")[1]
	account := 1
	switch {
	case sm.staking[family] != 0:
		account = sm.staking[family]
	case strings.Contains(r.Path, "/address/"), strings.HasSuffix(r.Path, "/addresses"):
		account = sm.utxo
	}
	p := strings.NewReplacer(
		"{account_id}", fmt.Sprint(account), "{parent_account_id}", fmt.Sprint(sm.parent),
		"{stake_uid}", sm.stakeUID[family], "{index}", "0",
		"{currency_name}", "ethereum", "{contract_address}", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
		"{address}", "0x0000000000000000000000000000000000000001",
	).Replace(r.Path)
	for _, id := range []string{"{digests_id}", "{entity_id}", "{group_id}", "{label_id}", "{message_id}",
		"{pledge_id}", "{request_id}", "{settlement_id}", "{transaction_id}", "{user_id}", "{whitelist_id}"} {
		p = strings.ReplaceAll(p, id, "1")
	}
	if r.Path == "/accounts/{account_id}/address/{index}" {
		p += "?type=receive"
	}
	return p
}

// TestEveryGETOfTheSpecAnswers calls each GET operation with known
// objects and checks the body's outer shape against the route's response
// schema.
func TestEveryGETOfTheSpecAnswers(t *testing.T) {
	t.Parallel()
	s := start(t)
	do(t, s, http.MethodPut, "/notifications/configuration", map[string]any{"all": map[string]any{"webhook": nil}})
	sm := findSamples(t, s)
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	gets := 0
	for _, r := range doc.Routes {
		if r.Method != http.MethodGet {
			continue
		}
		gets++
		path := sm.fill(r)
		t.Run(r.Path, func(t *testing.T) {
			t.Parallel()
			status, body := do(t, s, http.MethodGet, path, nil)
			if status != http.StatusOK {
				t.Fatalf("GET %s = %d %s, want 200", path, status, body)
			}
			if msg := shapeProblem(r.Response, body); msg != "" {
				t.Fatalf("GET %s (%s): %s in %.300s", path, r.Response, msg, body)
			}
		})
	}
	if gets != 74 {
		t.Fatalf("%d GET operations in the spec, want 74", gets)
	}
}

// shapeProblem checks the outer JSON shape a response schema implies.
func shapeProblem(schema string, body []byte) string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "not JSON: " + err.Error()
	}
	switch m := v.(type) {
	case []any:
		if !strings.HasSuffix(schema, "[]") {
			return "an array"
		}
	case string:
		if schema != "string" {
			return "a string"
		}
	case map[string]any:
		if strings.HasSuffix(schema, "[]") || schema == "string" {
			return "an object"
		}
		_, edges := m["edges"]
		_, info := m["page_info"]
		paginated := strings.HasPrefix(schema, "_APISearch") || strings.HasPrefix(schema, "Paginated")
		if paginated != (edges && info) {
			return fmt.Sprintf("edges/page_info present %v, paginated schema %v", edges && info, paginated)
		}
	default:
		return fmt.Sprintf("unexpected %T", v)
	}
	return ""
}

func TestSubResourcesFollowTheirAccount(t *testing.T) {
	t.Parallel()
	s := start(t)
	sm := findSamples(t, s)
	d := s.Dataset()
	var jwt string
	getJSON(t, s, "/accounts/1/address", &jwt)
	if parts := strings.Split(jwt, "."); len(parts) != 3 || strings.ContainsAny(parts[0]+parts[1], "-+/") {
		t.Errorf("address %q is not a JWT matching the spec's pattern", jwt)
	}
	status, _ := do(t, s, http.MethodGet, fmt.Sprintf("/accounts/%d/address", sm.utxo), nil)
	if status != http.StatusNotFound {
		t.Errorf("GET /address of a UTXO account = %d, want 404", status)
	}
	var stakes []struct {
		AccountID int `json:"account_id"`
	}
	getJSON(t, s, fmt.Sprintf("/ethereum/accounts/%d/stakes", sm.staking["ethereum"]), &stakes)
	for _, st := range stakes {
		if st.AccountID != sm.staking["ethereum"] {
			t.Errorf("ethereum stakes of %d include account %d's", sm.staking["ethereum"], st.AccountID)
		}
	}
	var deep page
	getJSON(t, s, fmt.Sprintf("/cardano/accounts/%d/stakes?light=false", sm.staking["cardano"]), &deep)
	for _, e := range deep.Edges {
		var n struct {
			CreationTx ledgersim.Transaction `json:"creation_tx"`
		}
		if err := json.Unmarshal(e.Node, &n); err != nil || n.CreationTx.AccountID != sm.staking["cardano"] {
			t.Errorf("deep stake's creation_tx account %d (%v), want %d", n.CreationTx.AccountID, err, sm.staking["cardano"])
		}
	}
	var tokens []struct {
		ParentID int `json:"parent_id"`
	}
	getJSON(t, s, fmt.Sprintf("/accounts/%d/tokens", sm.parent), &tokens)
	kids := where(d.Accounts, accountID, func(a ledgersim.Account) bool { return a.Parent != nil && *a.Parent == sm.parent })
	if len(tokens) != len(kids) {
		t.Errorf("tokens of %d: %d, want its %d children", sm.parent, len(tokens), len(kids))
	}
}
