package ledgersim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"reportgate/internal/ledgersim"
)

func TestDatasetIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := start(t), start(t)
	other := start(t, func(c *ledgersim.Config) { c.Seed = 2 })
	_, rawA := do(t, a, http.MethodGet, "/_sim/dataset", nil)
	_, rawB := do(t, b, http.MethodGet, "/_sim/dataset", nil)
	_, rawOther := do(t, other, http.MethodGet, "/_sim/dataset", nil)
	if !bytes.Equal(rawA, rawB) {
		t.Fatalf("same seed: /_sim/dataset differs (%d vs %d bytes)", len(rawA), len(rawB))
	}
	if bytes.Equal(rawA, rawOther) {
		t.Fatal("seeds 1 and 2 gave the same data set")
	}
	var fromHTTP ledgersim.Dataset
	if err := json.Unmarshal(rawA, &fromHTTP); err != nil {
		t.Fatal(err)
	}
	if got := a.Dataset(); !reflect.DeepEqual(got, fromHTTP) {
		t.Fatal("Dataset() differs from GET /_sim/dataset")
	}
}

func TestDatasetIsACopy(t *testing.T) {
	t.Parallel()
	s := start(t)
	d := s.Dataset()
	d.Entities[0].Accounts[0] = 999
	d.Accounts[0].GovernanceRules[0].Rules[0].ID = -1
	again := s.Dataset()
	if again.Entities[0].Accounts[0] == 999 || again.Accounts[0].GovernanceRules[0].Rules[0].ID == -1 {
		t.Fatal("changing Dataset()'s result changed the simulator")
	}
}

func TestDatasetSizesAndIDs(t *testing.T) {
	t.Parallel()
	cfg := ledgersim.DefaultConfig()
	d := start(t).Dataset()
	sizes := []struct {
		name      string
		got, want int
	}{
		{"entities", len(d.Entities), cfg.Entities}, {"accounts", len(d.Accounts), cfg.Accounts},
		{"users", len(d.Users), cfg.Users}, {"groups", len(d.Groups), cfg.Groups},
		{"whitelists", len(d.Whitelists), cfg.Whitelists}, {"transactions", len(d.Transactions), cfg.Transactions},
		{"requests", len(d.Requests), cfg.Requests}, {"digests", len(d.Digests), cfg.Digests},
		{"messages", len(d.Messages), cfg.Messages},
	}
	for _, s := range sizes {
		if s.got != s.want {
			t.Errorf("%s: got %d, want %d", s.name, s.got, s.want)
		}
	}
	for i, a := range d.Accounts {
		if a.ID != i+1 {
			t.Fatalf("accounts[%d].id = %d, want %d", i, a.ID, i+1)
		}
	}
	for i, x := range d.Transactions {
		if x.ID != i+1 {
			t.Fatalf("transactions[%d].id = %d, want %d", i, x.ID, i+1)
		}
	}
}

func TestEntityMembership(t *testing.T) {
	t.Parallel()
	d := start(t).Dataset()
	owners := entityOf(d)
	for _, e := range []int{1, 2} {
		if n := len(d.Entities[e-1].Accounts); n < 3 {
			t.Errorf("entity %d owns %d accounts, want several", e, n)
		}
	}
	none := 0
	for _, a := range d.Accounts {
		switch len(owners[a.ID]) {
		case 0:
			none++
		case 1:
		default:
			t.Errorf("account %d belongs to entities %v, want at most one", a.ID, owners[a.ID])
		}
		if a.Parent != nil && !slices.Equal(owners[a.ID], owners[*a.Parent]) {
			t.Errorf("child %d is in %v, its parent %d in %v; want the same", a.ID, owners[a.ID], *a.Parent, owners[*a.Parent])
		}
	}
	if none == 0 || none > len(d.Accounts)/4 {
		t.Errorf("%d accounts have no entity, want a few", none)
	}
	children := where(d.Accounts, accountID, func(a ledgersim.Account) bool { return a.Parent != nil && len(owners[a.ID]) == 1 })
	if len(children) == 0 {
		t.Error("no ERC-20 child account is listed in an entity")
	}
}

func TestGovernanceVariesAcrossEntities(t *testing.T) {
	t.Parallel()
	d := start(t).Dataset()
	owners := entityOf(d)
	users, groups, whitelists := map[int]map[int]bool{}, map[int]map[int]bool{}, map[int]map[int]bool{}
	note := func(m map[int]map[int]bool, ids []int, entity int) {
		for _, id := range ids {
			if m[id] == nil {
				m[id] = map[int]bool{}
			}
			m[id][entity] = true
		}
	}
	var byGroup, byUsers, byWhitelist int
	for _, a := range d.Accounts {
		for _, id := range directUsers(a) {
			if id < 1 || id > len(d.Users) {
				t.Fatalf("account %d names user %d, which does not exist", a.ID, id)
			}
		}
		byGroup += min(len(groupsOf(a)), 1)
		byUsers += min(len(directUsers(a)), 1)
		byWhitelist += min(len(whitelistsOf(a)), 1)
		for _, e := range owners[a.ID] {
			note(users, usersOf(d, a), e)
			note(groups, groupsOf(a), e)
			note(whitelists, whitelistsOf(a), e)
		}
	}
	if byGroup == 0 || byUsers == 0 || byWhitelist == 0 {
		t.Errorf("accounts naming groups %d, users %d, whitelists %d; want some of each", byGroup, byUsers, byWhitelist)
	}
	for name, m := range map[string]map[int]map[int]bool{"user": users, "group": groups, "whitelist": whitelists} {
		exclusive := 0
		for _, entities := range m {
			if len(entities) == 1 {
				exclusive++
			}
		}
		if exclusive == 0 {
			t.Errorf("no %s is referenced by the accounts of one entity only", name)
		}
	}
}

func TestCollectionsLinkToExistingObjects(t *testing.T) {
	t.Parallel()
	d := start(t).Dataset()
	types := map[string]bool{}
	for _, x := range d.Transactions {
		types[x.Type] = true
		if x.AccountID < 1 || x.AccountID > len(d.Accounts) {
			t.Fatalf("transaction %d: account_id %d does not exist", x.ID, x.AccountID)
		}
	}
	if !types["SEND"] || !types["RECEIVE"] {
		t.Errorf("transaction types %v, want SEND and RECEIVE", types)
	}
	sizes := map[string]int{"ACCOUNT": len(d.Accounts), "TRANSACTION": len(d.Transactions), "USER": len(d.Users),
		"GROUP": len(d.Groups), "WHITELIST": len(d.Whitelists), "ENTITY": len(d.Entities),
		"DIGESTS": len(d.Digests), "MESSAGE": len(d.Messages)}
	targets := map[string]bool{}
	for _, r := range d.Requests {
		targets[r.TargetType] = true
		if r.TargetID < 1 || r.TargetID > sizes[r.TargetType] {
			t.Fatalf("request %d targets %s %d, which does not exist", r.ID, r.TargetType, r.TargetID)
		}
	}
	for _, want := range []string{"ACCOUNT", "TRANSACTION", "USER"} {
		if !targets[want] {
			t.Errorf("no request targets %s", want)
		}
	}
}

// TestClosedSchemasHaveTheirFieldsOnly checks the JSON keys of the closed
// schemas (additionalProperties: false) against the spec's properties and
// required lists.
func TestClosedSchemasHaveTheirFieldsOnly(t *testing.T) {
	t.Parallel()
	_, raw := do(t, start(t), http.MethodGet, "/_sim/dataset", nil)
	var d map[string][]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"entities":   {"accounts", "created_by", "created_on", "id", "last_request", "name", "status"},
		"users":      {"created_by", "created_on", "id", "is_api", "key_handle", "last_request", "pub_key", "role", "status", "user_id", "username"},
		"groups":     {"created_by", "created_on", "description", "id", "last_request", "members", "name", "status"},
		"whitelists": {"addresses", "created_by", "created_on", "id", "last_request", "name", "status"},
		"requests":   {"created_by", "created_on", "expires_at", "id", "status", "target_id", "target_type", "type", "used_admin_group"},
		"digests":    {"account_id", "created_by", "created_on", "digests_data", "id", "last_request", "notes", "status"},
		"messages":   {"account_id", "address", "created_by", "created_on", "data", "id", "last_request", "message_type", "notes", "signature", "status", "type"},
		"transactions": {"account_id", "account_index", "amount", "block", "broadcast_on", "coin_fields", "confirmations",
			"created_by", "created_on", "currency", "currency_family", "fees", "id", "interaction_type", "labels",
			"last_request", "max_fees", "min_confirmations", "notes", "recipient", "senders", "speed", "status", "tx_hash", "type", "uid"},
	}
	for coll, fields := range want {
		for _, obj := range d[coll] {
			var got []string
			for k := range obj {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, fields) {
				t.Fatalf("%s: fields %v, want %v", coll, got, fields)
			}
		}
	}
}

func TestLargeDataSetStaysFast(t *testing.T) {
	t.Parallel()
	began := time.Now()
	s := start(t, func(c *ledgersim.Config) { c.Accounts, c.Transactions, c.Requests = 3000, 40000, 10000 })
	d := s.Dataset()
	want := where(d.Transactions, txID, func(x ledgersim.Transaction) bool { return x.AccountID == 7 || x.AccountID == 9 })
	got := listIDs(t, s, "/transactions?account=7&account=9")
	if !slices.Equal(sorted(got), want) {
		t.Fatalf("transactions of accounts 7 and 9: got %d ids, want %d", len(got), len(want))
	}
	var p page
	getJSON(t, s, "/transactions?page=100&page_size=50", &p)
	if p.PageInfo.Count != 40000 || len(p.Edges) != 50 || p.Edges[0].Cursor != 4950 {
		t.Fatalf("page 100: count %d, %d edges from cursor %d; want 40000, 50, 4950", p.PageInfo.Count, len(p.Edges), p.Edges[0].Cursor)
	}
	if elapsed := time.Since(began); elapsed > 20*time.Second {
		t.Errorf("40000 transactions took %s, want well under 20s", elapsed)
	}
}
