package policy

import (
	"errors"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	s := NewScope([]int64{1}, []int64{10, 11}, []int64{100}, []int64{7}, []int64{50}, time.Now())
	owners, err := NewOwners(nil, 16)
	if err != nil {
		t.Fatal(err)
	}
	owners.Remember(TransactionOwner, 900, Ownership{Kind: TargetAccount, ID: 10})
	owners.Remember(TransactionOwner, 901, Ownership{Kind: TargetAccount, ID: 99})
	v := NewVerifier(owners)
	page := func(nodes string) string {
		return `{"edges":[` + nodes + `],"page_info":{"count":2,"has_next_page":false}}`
	}
	tests := []struct {
		name  string
		check Check
		body  string
		want  error // nil, ErrMalformedBody, or a *Violation (matched by type)
	}{
		{"nodes in scope", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10}},{"cursor":1,"node":{"id":11}}`), nil},
		{"empty page", nodes("id", Accounts), page(``), nil},
		{"node out of scope", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10}},{"cursor":1,"node":{"id":12}}`), &Violation{}},
		{"node by account_id", nodes("account_id", Accounts), page(`{"cursor":0,"node":{"id":5,"account_id":11}}`), nil},
		{"node missing field", nodes("account_id", Accounts), page(`{"cursor":0,"node":{"id":5}}`), ErrMalformedBody},
		{"node id as string", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":"10"}}`), ErrMalformedBody},
		{"node id fractional", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10.5}}`), ErrMalformedBody},
		{"no edges", nodes("id", Accounts), `{"page_info":{}}`, ErrMalformedBody},
		{"no page_info", nodes("id", Accounts), `{"edges":[]}`, ErrMalformedBody},
		{"not json", nodes("id", Accounts), `<html>`, ErrMalformedBody},
		{"trailing garbage", nodes("id", Accounts), page(``) + `x`, ErrMalformedBody},
		{"object in scope", object("id", Whitelists), `{"id":50,"name":"w"}`, nil},
		{"object out of scope", object("account_id", Accounts), `{"id":1,"account_id":12}`, &Violation{}},
		{"items", items("parent_id", Accounts), `[{"parent_id":10},{"parent_id":11}]`, nil},
		{"items out", items("parent_id", Accounts), `[{"parent_id":10},{"parent_id":13}]`, &Violation{}},
		{"wrapped", wrapped("users", "id", Users), `{"users":[{"id":100}]}`, nil},
		{"wrapped out", wrapped("users", "id", Users), `{"users":[{"id":100},{"id":101}]}`, &Violation{}},
		{"target account", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"ACCOUNT","target_id":10}`, nil},
		{"target coin account", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"BITCOIN_ACCOUNT","target_id":11}`, nil},
		{"target user", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"USER","target_id":100}`, nil},
		{"target tx known in scope", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"TRANSACTION","target_id":900}`, nil},
		{"target tx other account", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"TRANSACTION","target_id":901}`, &Violation{}},
		{"target tx unknown owner", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"TEZOS_LIKE_TRANSACTION","target_id":902}`, &Violation{}},
		{"target whitelist not covered", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"WHITELIST","target_id":50}`, &Violation{}},
		{"governance wrap", Check{Shape: ObjectTarget, Wrap: "request"}, `{"request":{"target_type":"USER","target_id":100},"governance_steps":[]}`, nil},
		{"nodes target", Check{Shape: NodesTarget}, page(`{"cursor":0,"node":{"target_type":"ACCOUNT","target_id":10}},{"cursor":1,"node":{"target_type":"ENTITY","target_id":1}}`), &Violation{}},
		{"no check", Check{}, `anything`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := v.Verify([]byte(tt.body), tt.check, s)
			switch want := tt.want.(type) {
			case nil:
				if err != nil {
					t.Fatalf("Verify() = %v, want nil", err)
				}
			case *Violation:
				var got *Violation
				if !errors.As(err, &got) {
					t.Fatalf("Verify() = %v, want a violation", err)
				}
				_ = want
			default:
				if !errors.Is(err, tt.want) {
					t.Fatalf("Verify() = %v, want %v", err, tt.want)
				}
			}
		})
	}
}
