package ledgersim_test

import (
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"reportgate/internal/ledgersim"
)

// filterCase is a list request and the ids the data set says it must
// answer (in any order).
type filterCase struct {
	name       string
	path       string
	want       []int
	allowEmpty bool // the filter may rightly match nothing
}

func runFilterCases(t *testing.T, s *ledgersim.Server, cases []filterCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := sorted(listIDs(t, s, tt.path))
			if !slices.Equal(got, sorted(tt.want)) {
				t.Fatalf("GET %s: ids %v, want %v", tt.path, got, sorted(tt.want))
			}
			if len(got) == 0 && !tt.allowEmpty {
				t.Fatalf("GET %s matched nothing; pick a value that matches", tt.path)
			}
		})
	}
}

func TestAccountFilters(t *testing.T) {
	t.Parallel()
	s := start(t)
	d := s.Dataset()
	owners := entityOf(d)
	a3 := d.Accounts[2]
	user := directUsers(d.Accounts[0])[0]
	group := firstWith(d.Accounts, groupsOf)
	parent := firstParent(d)
	after, before := d.Accounts[9].CreatedOn, d.Accounts[30].CreatedOn
	inEntity := func(es ...int) func(ledgersim.Account) bool {
		return func(a ledgersim.Account) bool { return hasAny(owners[a.ID], es...) }
	}
	runFilterCases(t, s, []filterCase{
		{"entity", "/accounts?entity=1", where(d.Accounts, accountID, inEntity(1)), false},
		{"entity repeated", "/accounts?entity=1&entity=2", where(d.Accounts, accountID, inEntity(1, 2)), false},
		{"unknown entity", "/accounts?entity=999", nil, true},
		{"user", fmt.Sprintf("/accounts?user=%d", user), where(d.Accounts, accountID, func(a ledgersim.Account) bool { return slices.Contains(usersOf(d, a), user) }), false},
		{"group", fmt.Sprintf("/accounts?group=%d", group), where(d.Accounts, accountID, func(a ledgersim.Account) bool { return slices.Contains(groupsOf(a), group) }), false},
		{"parent", fmt.Sprintf("/accounts?parent=%d", parent), where(d.Accounts, accountID, func(a ledgersim.Account) bool { return a.Parent != nil && *a.Parent == parent }), false},
		{"id", "/accounts?id=3", []int{3}, false},
		{"account_label repeated", "/accounts?account_label=1&account_label=2", where(d.Accounts, accountID, func(a ledgersim.Account) bool {
			return slices.ContainsFunc(a.Labels, func(l ledgersim.LiteLabel) bool { return l.ID == 1 || l.ID == 2 })
		}), false},
		{"account_type", "/accounts?account_type=Erc20", where(d.Accounts, accountID, func(a ledgersim.Account) bool { return a.Type == "Erc20" }), false},
		{"currency", "/accounts?currency=bitcoin", where(d.Accounts, accountID, func(a ledgersim.Account) bool { return a.Currency == "bitcoin" }), false},
		{"name", "/accounts?name=" + url.QueryEscape(a3.Name), []int{3}, false},
		{"status", "/accounts?status=ACTIVE", where(d.Accounts, accountID, func(a ledgersim.Account) bool { return a.Status == "ACTIVE" }), false},
		{"created_after and before", "/accounts?created_after=" + url.QueryEscape(after.Format(time.RFC3339)) + "&created_before=" + url.QueryEscape(before.Format(time.RFC3339)),
			where(d.Accounts, accountID, func(a ledgersim.Account) bool { return a.CreatedOn.After(after) && a.CreatedOn.Before(before) }), false},
		{"entity and status together", "/accounts?entity=1&status=ACTIVE", where(d.Accounts, accountID, func(a ledgersim.Account) bool { return inEntity(1)(a) && a.Status == "ACTIVE" }), false},
		{"children of parent", fmt.Sprintf("/accounts/%d/erc20-children-accounts", parent), where(d.Accounts, accountID, func(a ledgersim.Account) bool { return a.Parent != nil && *a.Parent == parent }), false},
		{"children in another entity", fmt.Sprintf("/accounts/%d/erc20-children-accounts?entity=%d", parent, otherEntity(owners[parent], len(d.Entities))), nil, true},
		{"children by status", fmt.Sprintf("/accounts/%d/erc20-children-accounts?status=ACTIVE", parent), where(d.Accounts, accountID, func(a ledgersim.Account) bool {
			return a.Parent != nil && *a.Parent == parent && a.Status == "ACTIVE"
		}), false},
	})
}

func firstWith(accounts []ledgersim.Account, refs func(ledgersim.Account) []int) int {
	for _, a := range accounts {
		if r := refs(a); len(r) > 0 {
			return r[0]
		}
	}
	return 0
}

func firstParent(d ledgersim.Dataset) int {
	for _, a := range d.Accounts {
		if a.Parent != nil {
			return *a.Parent
		}
	}
	return 0
}

func otherEntity(owners []int, n int) int {
	for e := 1; e <= n; e++ {
		if !slices.Contains(owners, e) {
			return e
		}
	}
	return n + 1
}

func TestTransactionFilters(t *testing.T) {
	t.Parallel()
	s := start(t)
	d := s.Dataset()
	tx := d.Transactions[4]
	has := func(keep func(ledgersim.Transaction) bool) []int { return where(d.Transactions, txID, keep) }
	tag, memo := coinField(d, func(cf *ledgersim.TxCoinFields) string {
		if cf.DestinationTag != nil {
			return strconv.Itoa(*cf.DestinationTag)
		}
		return ""
	}), coinField(d, func(cf *ledgersim.TxCoinFields) string {
		if cf.Memo != nil {
			return cf.Memo.Text
		}
		return ""
	})
	amount := func(x ledgersim.Transaction) *big.Rat {
		r, _ := new(big.Rat).SetString(derefOr(x.Amount))
		return r
	}
	low, high := big.NewRat(1_000_000, 1), big.NewRat(50_000_000, 1)
	runFilterCases(t, s, []filterCase{
		{"account", "/transactions?account=1", has(func(x ledgersim.Transaction) bool { return x.AccountID == 1 }), false},
		{"account repeated", "/transactions?account=1&account=2&account=1", has(func(x ledgersim.Transaction) bool { return x.AccountID == 1 || x.AccountID == 2 }), false},
		{"id", "/transactions?id=5", []int{5}, false},
		{"type", "/transactions?type=SEND", has(func(x ledgersim.Transaction) bool { return x.Type == "SEND" }), false},
		{"status repeated", "/transactions?status=PENDING_APPROVAL&status=FAILED", has(func(x ledgersim.Transaction) bool { return strIn(x.Status, "PENDING_APPROVAL", "FAILED") }), false},
		{"currency repeated", "/transactions?currency=bitcoin&currency=solana", has(func(x ledgersim.Transaction) bool { return strIn(x.Currency, "bitcoin", "solana") }), false},
		{"min_amount", "/transactions?min_amount=1000000", has(func(x ledgersim.Transaction) bool { return amount(x).Cmp(low) >= 0 }), false},
		{"min and max_amount", "/transactions?min_amount=1000000&max_amount=50000000", has(func(x ledgersim.Transaction) bool {
			return amount(x).Cmp(low) >= 0 && amount(x).Cmp(high) <= 0
		}), false},
		{"recipient", "/transactions?recipient=" + url.QueryEscape(derefOr(tx.Recipient)), has(func(x ledgersim.Transaction) bool { return derefOr(x.Recipient) == derefOr(tx.Recipient) }), false},
		{"tx_hash", "/transactions?tx_hash=" + derefOr(firstHash(d)), has(func(x ledgersim.Transaction) bool { return derefOr(x.TxHash) == derefOr(firstHash(d)) }), false},
		{"title", "/transactions?title=Invoice", has(func(x ledgersim.Transaction) bool {
			return slices.ContainsFunc(x.Notes, func(n ledgersim.Note) bool { return strings.Contains(n.Title, "Invoice") })
		}), false},
		{"tx_label", "/transactions?tx_label=3", has(func(x ledgersim.Transaction) bool {
			return slices.ContainsFunc(x.Labels, func(l ledgersim.LiteLabel) bool { return l.ID == 3 })
		}), false},
		{"destination_tag", "/transactions?destination_tag=" + tag, has(func(x ledgersim.Transaction) bool {
			return x.CoinFields != nil && x.CoinFields.DestinationTag != nil && strconv.Itoa(*x.CoinFields.DestinationTag) == tag
		}), false},
		{"memo", "/transactions?memo=" + memo, has(func(x ledgersim.Transaction) bool {
			return x.CoinFields != nil && x.CoinFields.Memo != nil && x.CoinFields.Memo.Text == memo
		}), false},
		{"interaction_type", "/transactions?interaction_type=SWAP", has(func(x ledgersim.Transaction) bool { return derefOr(x.InteractionType) == "SWAP" }), true},
		{"created_after", "/transactions?created_after=" + url.QueryEscape(tx.CreatedOn.Format(time.RFC3339)), has(func(x ledgersim.Transaction) bool { return x.CreatedOn.After(tx.CreatedOn) }), false},
	})
}

func coinField(d ledgersim.Dataset, get func(*ledgersim.TxCoinFields) string) string {
	for _, x := range d.Transactions {
		if x.CoinFields != nil && get(x.CoinFields) != "" {
			return get(x.CoinFields)
		}
	}
	return "none"
}

func firstHash(d ledgersim.Dataset) *string {
	for _, x := range d.Transactions {
		if x.TxHash != nil {
			return x.TxHash
		}
	}
	return nil
}

func TestGovernanceObjectFilters(t *testing.T) {
	t.Parallel()
	s := start(t)
	d := s.Dataset()
	a := d.Accounts[0]
	group := d.Groups[0]
	wlAccounts := []int{}
	for _, x := range d.Accounts {
		if len(whitelistsOf(x)) > 0 && len(wlAccounts) < 2 {
			wlAccounts = append(wlAccounts, x.ID)
		}
	}
	wl := d.Whitelists[0]
	runFilterCases(t, s, []filterCase{
		{"users of an account", fmt.Sprintf("/users?account=%d", a.ID), usersOf(d, a), false},
		{"users of a group", fmt.Sprintf("/users?group=%d", group.ID), group.Members, false},
		{"users by role", "/users?role=ADMIN", where(d.Users, userID, func(u ledgersim.User) bool { return u.Role == "ADMIN" }), false},
		{"users by status", "/users?status=ACTIVE", where(d.Users, userID, func(u ledgersim.User) bool { return u.Status == "ACTIVE" }), false},
		{"users by username", "/users?username=" + d.Users[4].Username, []int{5}, false},
		{"whitelists of accounts", fmt.Sprintf("/whitelists?account=%d&account=%d", wlAccounts[0], wlAccounts[1]),
			sorted(append(whitelistsOf(d.Accounts[wlAccounts[0]-1]), whitelistsOf(d.Accounts[wlAccounts[1]-1])...)), false},
		{"whitelists by address", "/whitelists?address=" + wl.Addresses[0].Address, []int{wl.ID}, false},
		{"whitelists by status", "/whitelists?status=ACTIVE&status=PENDING", where(d.Whitelists, whitelistID, func(ledgersim.Whitelist) bool { return true }), false},
		{"whitelists by description match nothing", "/whitelists?description=x", nil, true},
		{"entities of accounts", "/entities?account=3&account=999", where(d.Entities, entityID, func(e ledgersim.Entity) bool { return slices.Contains(e.Accounts, 3) }), false},
		{"entities by status", "/entities?status=PENDING", where(d.Entities, entityID, func(e ledgersim.Entity) bool { return e.Status == "PENDING" }), false},
		{"entities by name", "/entities?name=Treasury", []int{1}, false},
		{"groups with members", fmt.Sprintf("/groups?members=%d&members=%d", group.Members[0], d.Groups[1].Members[0]),
			where(d.Groups, groupID, func(g ledgersim.Group) bool { return hasAny(g.Members, group.Members[0], d.Groups[1].Members[0]) }), false},
		{"groups by description", "/groups?description=Treasury", where(d.Groups, groupID, func(g ledgersim.Group) bool { return strings.Contains(g.Description, "Treasury") }), false},
		{"groups by name", "/groups?name=" + url.QueryEscape(group.Name), []int{group.ID}, false},
	})
}

func TestRequestDigestMessageFilters(t *testing.T) {
	t.Parallel()
	s := start(t)
	d := s.Dataset()
	r := d.Requests[0]
	runFilterCases(t, s, []filterCase{
		{"target", fmt.Sprintf("/requests?target_type=%s&target_id=%d", r.TargetType, r.TargetID), where(d.Requests, requestID, func(x ledgersim.Request) bool {
			return x.TargetType == r.TargetType && x.TargetID == r.TargetID
		}), false},
		{"target_type repeated", "/requests?target_type=USER&target_type=GROUP", where(d.Requests, requestID, func(x ledgersim.Request) bool { return strIn(x.TargetType, "USER", "GROUP") }), false},
		{"created_by", fmt.Sprintf("/requests?created_by=%d", *r.CreatedBy), where(d.Requests, requestID, func(x ledgersim.Request) bool { return *x.CreatedBy == *r.CreatedBy }), false},
		{"status and type", "/requests?status=APPROVED&type=CREATE_TRANSACTION&type=EDIT_ACCOUNT", where(d.Requests, requestID, func(x ledgersim.Request) bool {
			return x.Status == "APPROVED" && strIn(x.Type, "CREATE_TRANSACTION", "EDIT_ACCOUNT")
		}), false},
		{"digests of accounts", "/digests?account=1&account=4", where(d.Digests, digestID, func(x ledgersim.Digest) bool { return x.AccountID == 1 || x.AccountID == 4 }), true},
		{"digests by status", "/digests?status=SIGNED", where(d.Digests, digestID, func(x ledgersim.Digest) bool { return x.Status == "SIGNED" }), false},
		{"messages of an account", fmt.Sprintf("/messages?account=%d", d.Messages[0].AccountID), where(d.Messages, messageID, func(x ledgersim.Message) bool { return x.AccountID == d.Messages[0].AccountID }), false},
		{"messages by type", "/messages?message_type=EIP712", where(d.Messages, messageID, func(x ledgersim.Message) bool { return x.MessageType == "EIP-712" }), false},
	})
}

// TestRequestVoteFilters checks approved_by, pending_by and rejected_by
// against each request's governance status.
func TestRequestVoteFilters(t *testing.T) {
	t.Parallel()
	s := start(t)
	d := s.Dataset()
	want := map[string]map[int][]int{"approved_by": {}, "pending_by": {}, "rejected_by": {}}
	for _, r := range d.Requests {
		var g struct {
			GovernanceSteps []struct {
				Approvers []struct{ ID int }
				Approvals []struct {
					Type string
					User struct{ ID int }
				}
			} `json:"governance_steps"`
		}
		getJSON(t, s, fmt.Sprintf("/requests/%d/governance-status", r.ID), &g)
		voted := map[int]bool{}
		for _, a := range g.GovernanceSteps[0].Approvals {
			voted[a.User.ID] = true
			key := map[string]string{"APPROVE": "approved_by", "ABORT": "rejected_by"}[a.Type]
			want[key][a.User.ID] = append(want[key][a.User.ID], r.ID)
		}
		for _, a := range g.GovernanceSteps[0].Approvers {
			if !voted[a.ID] && r.Status == "PENDING_APPROVAL" {
				want["pending_by"][a.ID] = append(want["pending_by"][a.ID], r.ID)
			}
		}
	}
	var cases []filterCase
	for param, byUser := range want {
		for user, ids := range byUser {
			cases = append(cases, filterCase{fmt.Sprintf("%s=%d", param, user), fmt.Sprintf("/requests?%s=%d", param, user), ids, false})
		}
	}
	if len(cases) < 3 {
		t.Fatalf("only %d vote filter cases", len(cases))
	}
	runFilterCases(t, s, cases)
}
