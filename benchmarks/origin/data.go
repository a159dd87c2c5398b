package origin

import (
	"encoding/json"
	"strconv"
	"time"

	"reportgate/internal/ledgersim"
)

// The data set: one entity with two bitcoin accounts; the first is governed
// by group 7 (users 100, 101) and an internal group of users 102 and 103, the
// second by whitelist 5.
const (
	// EntityID is the entity a benchmark key is bound to.
	EntityID = 1
	// GroupID is the governance group of the accounts.
	GroupID = 7
)

// Paths the load harness drives. ListTarget is ListPath with the entity
// filter the gateway injects for a key bound to EntityID: direct and nginx
// runs ask for it, so every target's origin request is the same.
const (
	ListPath        = "/accounts"
	ListTarget      = "/accounts?entity=1"
	TransactionPath = "/transactions/1000"
	AccountPath     = "/accounts/10"
)

// AccountIDs are EntityID's accounts; TransactionIDs are one transaction of
// each, in the same order.
var (
	AccountIDs     = []int64{10, 11}
	TransactionIDs = []int64{1000, 1001}
)

var created = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func account(id int, name, address string, rules []ledgersim.Rule) ledgersim.Account {
	return ledgersim.Account{
		ID: id, Name: name, Index: id - 10, Currency: "bitcoin", Type: "Bitcoin", Status: "ACTIVE",
		Address: ptr(address), DerivationPath: ptr("84'/0'/" + strconv.Itoa(id-10) + "'"),
		Balance: "152000000", AvailableBalance: "150000000", PendingBalance: "2000000",
		GovernanceRules: []ledgersim.RuleSet{{ID: id, Name: "Policy", Rules: rules}},
		Labels:          []ledgersim.LiteLabel{}, TokenAccounts: []ledgersim.LightTokenAccount{},
		CreatedBy: 100, CreatedOn: created,
	}
}

func transaction(id, accountID int) ledgersim.Transaction {
	block := &ledgersim.Block{Hash: "00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054", Height: 879512, Time: created.Add(time.Hour)}
	return ledgersim.Transaction{
		ID: id, AccountID: accountID, AccountIndex: accountID - 10, Type: "SEND", Status: "CONFIRMED",
		Currency: "bitcoin", CurrencyFamily: "bitcoin", Amount: ptr("25000000"), Fees: ptr("4210"), MaxFees: ptr("6000"),
		Recipient: ptr("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
		Senders:   []string{"bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"},
		TxHash:    ptr("f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"),
		UID:       ptr("c0a8012e-6f1d-4b8e-9a53-2f2d1c7a9b10"), Block: block, BroadcastOn: ptr(created.Add(50 * time.Minute)),
		CoinFields:    &ledgersim.TxCoinFields{Type: "Bitcoin", FeesPerByte: ptr("18")},
		Confirmations: 6, MinConfirmations: 1, Speed: ptr("NORMAL"),
		Labels:    []ledgersim.LiteLabel{{ID: 3, Name: "payroll", Info: ledgersim.LabelInfo{Color: "#3b82f6", Description: "monthly payroll"}}},
		Notes:     []ledgersim.Note{{Title: "March payroll", Content: "Batch 2025-03, approved by the treasury committee"}},
		CreatedBy: 101, CreatedOn: created.Add(40 * time.Minute), LastRequest: ptr(5000 + id),
	}
}

type edge struct {
	Cursor int `json:"cursor"`
	Node   any `json:"node"`
}

type page struct {
	Edges    []edge `json:"edges"`
	PageInfo struct {
		Count       int  `json:"count"`
		HasNextPage bool `json:"has_next_page"`
	} `json:"page_info"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("origin: " + err.Error()) // fixed data: a failure is a bug here
	}
	return b
}

// render builds every body the origin serves, by path.
func render() map[string][]byte {
	approvals := ledgersim.Rule{ID: 1, Type: ledgersim.RuleMultiAuth, Data: []ledgersim.RuleEntry{
		{Group: ptr(GroupID), Quorum: 1}, {Users: []int{102, 103}, Quorum: 2},
	}}
	whitelist := ledgersim.Rule{ID: 2, Type: ledgersim.RuleWhitelist, Data: []ledgersim.RuleEntry{{Whitelist: ptr(5)}}}
	accounts := []ledgersim.Account{
		account(10, "BTC treasury", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", []ledgersim.Rule{approvals}),
		account(11, "BTC payroll", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", []ledgersim.Rule{whitelist}),
	}
	var list page
	for i, a := range accounts {
		list.Edges = append(list.Edges, edge{Cursor: i + 1, Node: a})
	}
	list.PageInfo.Count = len(accounts)
	bodies := map[string][]byte{
		ListPath: mustJSON(list),
		"/entities/" + strconv.Itoa(EntityID): mustJSON(ledgersim.Entity{
			ID: EntityID, Name: "Treasury", Status: "ACTIVE", Accounts: []int{10, 11}, CreatedBy: 100, CreatedOn: created,
		}),
		"/groups/" + strconv.Itoa(GroupID): mustJSON(ledgersim.Group{
			ID: GroupID, Name: "Treasury approvers", Status: "ACTIVE", Members: []int{100, 101}, CreatedBy: 100, CreatedOn: created,
		}),
		"/currencies": []byte(`{"edges":[],"page_info":{"count":0,"has_next_page":false}}`),
	}
	for i, a := range accounts {
		bodies["/accounts/"+strconv.Itoa(a.ID)] = mustJSON(a)
		id := int(TransactionIDs[i])
		bodies["/transactions/"+strconv.Itoa(id)] = mustJSON(transaction(id, a.ID))
	}
	return bodies
}
