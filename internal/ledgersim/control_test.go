package ledgersim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"reportgate/internal/ledgersim"
	"reportgate/internal/signature"
)

// receiver is a webhook endpoint that keeps what it receives. It answers
// 500 to the first failFirst deliveries.
type receiver struct {
	*httptest.Server
	mu        sync.Mutex
	got       []delivered
	failFirst int
}

type delivered struct {
	header string
	body   []byte
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	rc := &receiver{failFirst: failFirst}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.failFirst > 0 {
			rc.failFirst--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		rc.got = append(rc.got, delivered{r.Header.Get(signature.Header), body})
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) received() []delivered {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// event is a webhook body.
type event struct {
	PayloadType string `json:"payload_type"`
	EventType   string `json:"event_type"`
	ID          int    `json:"id"`
}

const secret = "whsec-test"

// waitDelivered waits, with a deadline and without polling, until n
// notifications are delivered, then checks each one the receiver got is
// signed with the secret and returns their bodies in order.
func waitDelivered(t *testing.T, s *ledgersim.Server, rc *receiver, n int) []event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log, err := s.WaitNotifications(ctx, func(log []ledgersim.Notification) bool {
		done := 0
		for _, x := range log {
			if x.Status == ledgersim.DeliveryDelivered {
				done++
			}
		}
		return done >= n
	})
	if err != nil {
		t.Fatalf("waiting for %d deliveries: %v; log %+v", n, err, log)
	}
	var events []event
	for _, d := range rc.received() {
		if _, err := signature.Verify([]byte(secret), d.header, d.body, time.Now(), signature.DefaultMaxAge); err != nil {
			t.Fatalf("delivery %s: signature %q: %v", d.body, d.header, err)
		}
		var e event
		if err := json.Unmarshal(d.body, &e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return events
}

func withWebhook(rc *receiver) func(*ledgersim.Config) {
	return func(c *ledgersim.Config) { c.WebhookURL, c.WebhookSecret = rc.URL, secret }
}

func TestMoveAccountSendsEntityEdits(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 0)
	s := start(t, withWebhook(rc))
	d := s.Dataset()
	parent := firstParent(d)
	from := entityOf(d)[parent][0]
	to := otherEntity([]int{from}, len(d.Entities))
	kids := where(d.Accounts, accountID, func(a ledgersim.Account) bool { return a.Parent != nil && *a.Parent == parent })

	status, body := do(t, s, http.MethodPost, fmt.Sprintf("/_sim/accounts/%d/move", parent), map[string]any{"entity": to})
	if status != http.StatusOK {
		t.Fatalf("move = %d %s", status, body)
	}
	moved := append([]int{parent}, kids...)
	if got := sorted(listIDs(t, s, fmt.Sprintf("/accounts?entity=%d", to))); !isSubset(moved, got) {
		t.Fatalf("entity %d accounts %v, want to include %v", to, got, moved)
	}
	if got := listIDs(t, s, fmt.Sprintf("/accounts?entity=%d", from)); hasAny(got, moved...) {
		t.Fatalf("entity %d still lists %v after the move", from, got)
	}
	events := waitDelivered(t, s, rc, 2)
	want := []event{{"ENTITY", "ENTITY_HAS_BEEN_EDITED", from}, {"ENTITY", "ENTITY_HAS_BEEN_EDITED", to}}
	if !slices.Equal(events, want) {
		t.Fatalf("notifications %+v, want %+v", events, want)
	}
	status, body = do(t, s, http.MethodPost, fmt.Sprintf("/_sim/accounts/%d/move", parent), map[string]any{"entity": nil})
	var m struct {
		From, To *int
	}
	json.Unmarshal(body, &m)
	if status != http.StatusOK || m.From == nil || *m.From != to || m.To != nil {
		t.Fatalf("move to null = %d %s, want from %d to null", status, body, to)
	}
}

func isSubset(xs, ys []int) bool {
	for _, x := range xs {
		if !slices.Contains(ys, x) {
			return false
		}
	}
	return true
}

func TestControlEndpointsChangeDataAndNotify(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 0)
	s := start(t, withWebhook(rc))
	d := s.Dataset()
	eth := where(d.Accounts, accountID, func(a ledgersim.Account) bool { return a.Type == "Ethereum" })[0]

	var tx ledgersim.Transaction
	post(t, s, http.MethodPost, "/_sim/transactions", map[string]any{"account_id": 3, "type": "RECEIVE", "amount": "42"}, http.StatusCreated, &tx)
	if tx.ID != len(d.Transactions)+1 || tx.AccountID != 3 || *tx.Amount != "42" || tx.Status != "CONFIRMED" {
		t.Fatalf("new transaction %+v, want id %d on account 3 for 42, CONFIRMED", tx, len(d.Transactions)+1)
	}
	if ids := listIDs(t, s, "/transactions?account=3"); ids[0] != tx.ID {
		t.Fatalf("account 3's newest transaction is %d, want the new %d", ids[0], tx.ID)
	}
	var send ledgersim.Transaction
	post(t, s, http.MethodPost, "/_sim/transactions", map[string]any{"account_id": 3, "type": "SEND"}, http.StatusCreated, &send)

	rules := []map[string]any{{"name": "Only user 5", "rules": []map[string]any{
		{"type": "MULTI_AUTHORIZATIONS", "data": []map[string]any{{"users": []int{5}, "quorum": 1}}},
		{"type": "WHITELIST", "data": []map[string]any{{"whitelist": 2}}},
	}}}
	post(t, s, http.MethodPut, fmt.Sprintf("/_sim/accounts/%d/governance", eth), map[string]any{"governance_rules": rules}, http.StatusOK, nil)
	if got := listIDs(t, s, fmt.Sprintf("/users?account=%d", eth)); !slices.Equal(got, []int{5}) {
		t.Fatalf("users of account %d after the governance change: %v, want [5]", eth, got)
	}

	var acc ledgersim.Account
	post(t, s, http.MethodPost, "/_sim/accounts", map[string]any{"entity": 2, "currency": "bitcoin"}, http.StatusCreated, &acc)
	if got := listIDs(t, s, "/entities?account="+fmt.Sprint(acc.ID)); !slices.Equal(got, []int{2}) {
		t.Fatalf("new account %d belongs to entities %v, want [2]", acc.ID, got)
	}
	post(t, s, http.MethodPut, "/_sim/groups/1/members", map[string]any{"members": []int{4, 6}}, http.StatusOK, nil)
	if got := sorted(listIDs(t, s, "/users?group=1")); !slices.Equal(got, []int{4, 6}) {
		t.Fatalf("members of group 1: %v, want [4 6]", got)
	}
	var req ledgersim.Request
	post(t, s, http.MethodPost, "/_sim/requests", map[string]any{"target_type": "ACCOUNT", "target_id": 3, "type": "EDIT_ACCOUNT"}, http.StatusCreated, &req)
	var a3 ledgersim.Account
	getJSON(t, s, "/accounts/3", &a3)
	if a3.LastRequest == nil || *a3.LastRequest != req.ID || req.Status != "PENDING_APPROVAL" {
		t.Fatalf("account 3 last_request %v, request %+v; want the new pending request", a3.LastRequest, req)
	}

	want := []event{
		{"TRANSACTION", "NEW_TRANSACTION_HAS_BEEN_RECEIVED", tx.ID},
		{"TRANSACTION", "NEW_TRANSACTION_HAS_BEEN_BROADCASTED", send.ID},
		{"ETHEREUM_ACCOUNT", "ACCOUNT_HAS_BEEN_EDITED", eth},
		{"BITCOIN_ACCOUNT", "NEW_ACCOUNT_HAS_BEEN_CREATED", acc.ID},
		{"ENTITY", "ENTITY_HAS_BEEN_EDITED", 2},
		{"GROUP", "GROUP_HAS_BEEN_EDITED", 1},
		{"REQUEST", "REQUEST_HAS_BEEN_CREATED", req.ID},
	}
	if got := waitDelivered(t, s, rc, len(want)); !slices.Equal(got, want) {
		t.Fatalf("notifications\n got %+v\nwant %+v", got, want)
	}
}

// post sends a control request, wants status and decodes into v (if not nil).
func post(t *testing.T, s *ledgersim.Server, method, path string, body any, want int, v any) {
	t.Helper()
	status, raw := do(t, s, method, path, body)
	if status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, status, raw, want)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAddChildAccount(t *testing.T) {
	t.Parallel()
	s := start(t)
	d := s.Dataset()
	parent := firstParent(d)
	owner := entityOf(d)[parent][0]
	var child ledgersim.Account
	post(t, s, http.MethodPost, "/_sim/accounts", map[string]any{"parent": parent, "entity": nil}, http.StatusCreated, &child)
	if child.Type != "Erc20" || *child.Parent != parent {
		t.Fatalf("child %+v, want an Erc20 of %d", child, parent)
	}
	if got := listIDs(t, s, fmt.Sprintf("/accounts?entity=%d&id=%d", owner, child.ID)); len(got) != 1 {
		t.Fatalf("child %d is not in its parent's entity %d", child.ID, owner)
	}
	log := s.Notifications()
	if n := len(log); n != 2 || log[0].PayloadType != "ERC20_ACCOUNT" || log[1].Status != ledgersim.DeliveryNoWebhook {
		t.Fatalf("notifications %+v, want ERC20_ACCOUNT creation and entity edit, logged without a webhook", log)
	}
}

func TestControlInputErrors(t *testing.T) {
	t.Parallel()
	s := start(t)
	parent := firstParent(s.Dataset())
	child := where(s.Dataset().Accounts, accountID, func(a ledgersim.Account) bool { return a.Parent != nil })[0]
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
	}{
		{"move without entity", "POST", "/_sim/accounts/1/move", map[string]any{}, 400},
		{"move to a string", "POST", "/_sim/accounts/1/move", map[string]any{"entity": "two"}, 400},
		{"move unknown account", "POST", "/_sim/accounts/999/move", map[string]any{"entity": 1}, 404},
		{"move to unknown entity", "POST", "/_sim/accounts/1/move", map[string]any{"entity": 99}, 400},
		{"move a child alone", "POST", fmt.Sprintf("/_sim/accounts/%d/move", child), map[string]any{"entity": 1}, 400},
		{"unknown field", "POST", "/_sim/transactions", map[string]any{"account_id": 1, "type": "SEND", "colour": "red"}, 400},
		{"transaction type", "POST", "/_sim/transactions", map[string]any{"account_id": 1, "type": "STAKE"}, 400},
		{"transaction status", "POST", "/_sim/transactions", map[string]any{"account_id": 1, "type": "SEND", "status": "DONE"}, 400},
		{"transaction amount", "POST", "/_sim/transactions", map[string]any{"account_id": 1, "type": "SEND", "amount": "-1"}, 400},
		{"transaction account", "POST", "/_sim/transactions", map[string]any{"account_id": 999, "type": "SEND"}, 404},
		{"governance missing", "PUT", "/_sim/accounts/1/governance", map[string]any{}, 400},
		{"governance unknown user", "PUT", "/_sim/accounts/1/governance", map[string]any{"governance_rules": []any{map[string]any{"name": "x", "rules": []any{
			map[string]any{"type": "MULTI_AUTHORIZATIONS", "data": []any{map[string]any{"users": []int{999}, "quorum": 1}}}}}}}, 400},
		{"governance wrong shape", "PUT", "/_sim/accounts/1/governance", map[string]any{"governance_rules": []any{map[string]any{"name": "x", "rules": []any{
			map[string]any{"type": "WHITELIST", "data": []any{map[string]any{"group": 1}}}}}}}, 400},
		{"governance quorum", "PUT", "/_sim/accounts/1/governance", map[string]any{"governance_rules": []any{map[string]any{"name": "x", "rules": []any{
			map[string]any{"type": "MULTI_AUTHORIZATIONS", "data": []any{map[string]any{"users": []int{4}, "quorum": 2}}}}}}}, 400},
		{"account currency", "POST", "/_sim/accounts", map[string]any{"entity": 1, "currency": "dogecoin"}, 400},
		{"child of a non-Ethereum", "POST", "/_sim/accounts", map[string]any{"parent": firstBitcoin(s), "entity": nil}, 400},
		{"child in another entity", "POST", "/_sim/accounts", map[string]any{"parent": parent, "entity": otherEntity(entityOf(s.Dataset())[parent], 5)}, 400},
		{"members unknown user", "PUT", "/_sim/groups/1/members", map[string]any{"members": []int{4, 999}}, 400},
		{"members of unknown group", "PUT", "/_sim/groups/99/members", map[string]any{"members": []int{4}}, 404},
		{"account with unknown parent", "POST", "/_sim/accounts", map[string]any{"parent": 999, "entity": nil}, 400},
		{"members twice", "PUT", "/_sim/groups/1/members", map[string]any{"members": []int{4, 4}}, 400},
		{"members missing", "PUT", "/_sim/groups/1/members", map[string]any{}, 400},
		{"request type", "POST", "/_sim/requests", map[string]any{"target_type": "ACCOUNT", "target_id": 1, "type": "PLEASE"}, 400},
		{"request target type", "POST", "/_sim/requests", map[string]any{"target_type": "POLICY", "target_id": 1, "type": "EDIT_POLICY"}, 400},
		{"request target", "POST", "/_sim/requests", map[string]any{"target_type": "USER", "target_id": 999, "type": "REVOKE_USER"}, 404},
		{"webhook without secret", "PUT", "/_sim/webhook", map[string]any{"url": "http://127.0.0.1:1/hook"}, 400},
		{"webhook not a URL", "PUT", "/_sim/webhook", map[string]any{"url": "hook", "secret": "s"}, 400},
		{"faults rate", "PUT", "/_sim/faults", map[string]any{"error_rate": 2}, 400},
		{"faults latency", "PUT", "/_sim/faults", map[string]any{"latency": "soon"}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := do(t, s, tt.method, tt.path, tt.body)
			if e := decodeError(t, body); status != tt.want || e.StatusCode != tt.want {
				t.Fatalf("%s %s = %d %+v, want %d", tt.method, tt.path, status, e, tt.want)
			}
		})
	}
	if log := s.Notifications(); len(log) != 0 {
		t.Fatalf("rejected changes sent notifications: %+v", log)
	}
}

func firstBitcoin(s *ledgersim.Server) int {
	return where(s.Dataset().Accounts, accountID, func(a ledgersim.Account) bool { return a.Type == "Bitcoin" })[0]
}

func TestResetRestoresTheSeededData(t *testing.T) {
	t.Parallel()
	s := start(t)
	_, before := do(t, s, http.MethodGet, "/_sim/dataset", nil)
	post(t, s, http.MethodPost, "/_sim/transactions", map[string]any{"account_id": 1, "type": "SEND"}, http.StatusCreated, nil)
	post(t, s, http.MethodPost, "/_sim/accounts/1/move", map[string]any{"entity": nil}, http.StatusOK, nil)
	post(t, s, http.MethodPost, "/_sim/reset", nil, http.StatusOK, nil)
	if _, after := do(t, s, http.MethodGet, "/_sim/dataset", nil); string(after) != string(before) {
		t.Fatal("after reset the data set differs from the seeded one")
	}
}

// TestAddedTransactionsKeepTheirType reproduces a bug where a SEND added
// on an EVM account could come back as EXECUTE_CONTRACT.
func TestAddedTransactionsKeepTheirType(t *testing.T) {
	t.Parallel()
	s := start(t)
	eth := where(s.Dataset().Accounts, accountID, func(a ledgersim.Account) bool { return a.Type == "Ethereum" })[0]
	for range 24 {
		tx, err := s.AddTransaction(ledgersim.NewTransaction{AccountID: eth, Type: "SEND"})
		if err != nil {
			t.Fatal(err)
		}
		if tx.Type != "SEND" || tx.InteractionType != nil {
			t.Fatalf("added SEND came back as %s (interaction %v)", tx.Type, derefOr(tx.InteractionType))
		}
	}
}
