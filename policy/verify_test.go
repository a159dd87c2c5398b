package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// mapUpstream answers each path (with its query) from a map; 404 otherwise.
type mapUpstream map[string]string

func (m mapUpstream) Fetch(_ context.Context, p string) (int, []byte, error) {
	if b, ok := m[p]; ok {
		return 200, []byte(b), nil
	}
	return 404, []byte(`{"message":"not found","name":"NotFound","status_code":404}`), nil
}

func TestVerify(t *testing.T) {
	t.Parallel()
	s := NewScope([]int64{1}, []int64{10, 11}, []int64{100}, []int64{7}, []int64{50}, time.Now())
	up := mapUpstream{
		"/transactions/903": `{"id":903,"account_id":11}`,
		"/accounts/10/nft-collections?page=1&page_size=100": `{"edges":[` +
			`{"cursor":0,"node":{"account_id":10,"contract_address":"0xA","token_balance":2,"token_type":"ERC721"}},` +
			`{"cursor":1,"node":{"account_id":10,"contract_address":"0xB","token_balance":1,"token_type":"ERC721"}}],` +
			`"page_info":{"count":2,"has_next_page":false}}`,
		"/accounts/13/nft-collections?page=1&page_size=100": `{"edges":[` +
			`{"cursor":0,"node":{"account_id":13,"contract_address":"0xD","token_balance":1,"to\u212aen_balance":9,"token_type":"ERC721"}}],` +
			`"page_info":{"count":1,"has_next_page":false}}`,
		"/accounts/11/nft-collections?page=1&page_size=100": `{"edges":[` +
			`{"cursor":0,"node":{"account_id":12,"contract_address":"0xC","token_balance":1,"token_type":"ERC721"}}],` +
			`"page_info":{"count":1,"has_next_page":false}}`,
	}
	owners, err := NewOwners(up, 16)
	if err != nil {
		t.Fatal(err)
	}
	owners.Remember(TransactionOwner, 900, Ownership{Kind: TargetAccount, ID: 10})
	owners.Remember(TransactionOwner, 901, Ownership{Kind: TargetAccount, ID: 99})
	v := NewVerifier(up, owners)
	// Verify scans the shapes it can; parsed is the reference it is held
	// to, verifyParsed, behind the same validation.
	parsed := func(ctx context.Context, body []byte, c Check, s *Scope, parent int64) error {
		if c.Shape == NoCheck {
			return nil
		}
		if !validJSON(body) {
			return ErrMalformedBody
		}
		return v.verifyParsed(ctx, body, c, s, parent)
	}
	impls := []struct {
		name   string
		verify func(context.Context, []byte, Check, *Scope, int64) error
	}{{"scan", v.Verify}, {"parse", parsed}}
	for _, tt := range verifyCases() {
		for _, impl := range impls {
			t.Run(tt.name+"/"+impl.name, func(t *testing.T) {
				t.Parallel()
				checkVerdict(t, impl.verify(context.Background(), []byte(tt.body), tt.check, s, tt.parent), tt.want)
			})
		}
	}
}

func checkVerdict(t *testing.T, err, want error) {
	t.Helper()
	switch want.(type) {
	case nil:
		if err != nil {
			t.Fatalf("Verify() = %v, want nil", err)
		}
	case *Violation:
		var got *Violation
		if !errors.As(err, &got) {
			t.Fatalf("Verify() = %v, want a violation", err)
		}
	case *UpstreamError:
		var got *UpstreamError
		if !errors.As(err, &got) {
			t.Fatalf("Verify() = %v, want an upstream error", err)
		}
	default:
		if !errors.Is(err, want) {
			t.Fatalf("Verify() = %v, want %v", err, want)
		}
	}
}

type verifyCase struct {
	name   string
	check  Check
	body   string
	parent int64
	want   error // nil, ErrMalformedBody, or a *Violation (matched by type)
}

// verifyCases are TestVerify's cases; FuzzScanAgainstParser starts from
// their bodies too.
func verifyCases() []verifyCase {
	page := func(nodes string) string {
		return `{"edges":[` + nodes + `],"page_info":{"count":2,"has_next_page":false}}`
	}
	stake := func(fields string) string {
		return page(`{"cursor":0,"node":{"id":1,"stake_uid":"u","status":"ACTIVE",` + fields + `}}`)
	}
	nft := func(contract string) string {
		return `{"cursor":0,"node":{"contract_address":"` + contract + `","token_id":"1","token_type":"ERC721","value":1}}`
	}
	nftPage := func(count string, nodes ...string) string {
		return `{"edges":[` + strings.Join(nodes, ",") + `],"page_info":{"count":` + count + `,"has_next_page":false}}`
	}
	stakes := Check{Shape: Stakes, Set: Accounts}
	return []verifyCase{
		{"nodes in scope", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10}},{"cursor":1,"node":{"id":11}}`), 0, nil},
		{"empty page", nodes("id", Accounts), page(``), 0, nil},
		{"node out of scope", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10}},{"cursor":1,"node":{"id":12}}`), 0, &Violation{}},
		{"node by account_id", nodes("account_id", Accounts), page(`{"cursor":0,"node":{"id":5,"account_id":11}}`), 0, nil},
		{"node missing field", nodes("account_id", Accounts), page(`{"cursor":0,"node":{"id":5}}`), 0, ErrMalformedBody},
		{"node id as string", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":"10"}}`), 0, ErrMalformedBody},
		{"node id fractional", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10.5}}`), 0, ErrMalformedBody},
		{"no edges", nodes("id", Accounts), `{"page_info":{}}`, 0, ErrMalformedBody},
		{"no page_info", nodes("id", Accounts), `{"edges":[]}`, 0, ErrMalformedBody},
		{"not json", nodes("id", Accounts), `<html>`, 0, ErrMalformedBody},
		{"trailing garbage", nodes("id", Accounts), page(``) + `x`, 0, ErrMalformedBody},
		{"object in scope", object("id", Whitelists), `{"id":50,"name":"w"}`, 0, nil},
		{"object out of scope", object("account_id", Accounts), `{"id":1,"account_id":12}`, 0, &Violation{}},
		{"items", items("parent_id", Accounts), `[{"parent_id":10},{"parent_id":11}]`, 0, nil},
		{"items out", items("parent_id", Accounts), `[{"parent_id":10},{"parent_id":13}]`, 0, &Violation{}},
		{"wrapped", wrapped("users", "id", Users), `{"users":[{"id":100}]}`, 0, nil},
		{"wrapped out", wrapped("users", "id", Users), `{"users":[{"id":100},{"id":101}]}`, 0, &Violation{}},
		{"target account", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"ACCOUNT","target_id":10}`, 0, nil},
		{"target coin account", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"BITCOIN_ACCOUNT","target_id":11}`, 0, nil},
		{"target user", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"USER","target_id":100}`, 0, nil},
		{"target tx known in scope", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"TRANSACTION","target_id":900}`, 0, nil},
		{"target tx other account", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"TRANSACTION","target_id":901}`, 0, &Violation{}},
		{"target tx unknown owner", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"TEZOS_LIKE_TRANSACTION","target_id":902}`, 0, &Violation{}},
		{"target whitelist not covered", Check{Shape: ObjectTarget}, `{"id":1,"target_type":"WHITELIST","target_id":50}`, 0, &Violation{}},
		{"governance wrap", Check{Shape: ObjectTarget, Wrap: "request"}, `{"request":{"target_type":"USER","target_id":100},"governance_steps":[]}`, 0, nil},
		{"nodes target", Check{Shape: NodesTarget}, page(`{"cursor":0,"node":{"target_type":"ACCOUNT","target_id":10}},{"cursor":1,"node":{"target_type":"ENTITY","target_id":1}}`), 0, &Violation{}},
		{"no check", Check{}, `anything`, 0, nil},
		{"whitespace around every token", nodes("id", Accounts), " {\n\t\"edges\" : [ { \"node\" : { \"id\" : 10 } } ] ,\r\n \"page_info\" : { \"count\" : 1 } } ", 0, nil},
		{"target type escaped", Check{Shape: ObjectTarget}, `{"target_type":"\u0055SER","target_id":100}`, 0, nil},
		{"target type escaped, out of scope", Check{Shape: ObjectTarget}, `{"target_type":"\u0055SER","target_id":101}`, 0, &Violation{}},

		// Regression: the parser reads more than JSON where nothing is
		// checked (NaN, 1-2, a raw control character), and fastjson's
		// validator misses a raw control character before an escape. A body
		// that is not JSON is not passed on, whatever part is wrong.
		{"a second object appended", object("id", Whitelists), `{"id":50}{"id":51}`, 0, ErrMalformedBody},
		{"lax number elsewhere", object("id", Whitelists), `{"id":50,"x":NaN}`, 0, ErrMalformedBody},
		{"lax number elsewhere, 1-2", object("id", Whitelists), `{"id":50,"x":1-2}`, 0, ErrMalformedBody},
		{"raw control character", object("id", Whitelists), "{\"id\":50,\"x\":\"a\x01\"}", 0, ErrMalformedBody},
		{"raw control character before an escape", object("id", Whitelists), "{\"id\":50,\"x\":\"\x00\\b\"}", 0, ErrMalformedBody},
		{"nested past the depth bound", object("id", Whitelists), `{"id":50,"x":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`, 0, ErrMalformedBody},
		{"nested up to the depth bound", object("id", Whitelists), `{"id":50,"x":` + strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) + `}`, 0, nil},
		{"stake page not JSON", stakes, stake(`"creation_tx":900,"x":NaN`), 10, ErrMalformedBody},

		// Regression: the parser reads the first of duplicate keys, a
		// partner's decoder the last: {"id":10,"id":12} passed as 10 and
		// was read as 12.
		{"duplicate id", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10,"id":12}}`), 0, ErrMalformedBody},
		{"duplicate id escaped", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10,"\u0069d":12}}`), 0, ErrMalformedBody},
		{"duplicate node", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10},"node":{"id":12}}`), 0, ErrMalformedBody},
		{"duplicate edges", nodes("id", Accounts), `{"edges":[],"edges":[{"cursor":0,"node":{"id":12}}],"page_info":{"count":1,"has_next_page":false}}`, 0, ErrMalformedBody},
		{"duplicate object field", object("account_id", Accounts), `{"id":1,"account_id":10,"account_id":12}`, 0, ErrMalformedBody},
		{"duplicate item field", items("parent_id", Accounts), `[{"parent_id":10,"parent_id":13}]`, 0, ErrMalformedBody},
		{"duplicate target", Check{Shape: ObjectTarget}, `{"target_type":"USER","target_id":100,"target_id":101}`, 0, ErrMalformedBody},

		// Regression: encoding/json, decoding into a struct, matches member
		// names regardless of case (U+017F, long s, is "s"; U+212A, the
		// Kelvin sign, is "k") and keeps the last it matched:
		// {"id":10,"ID":12} passed as 10 and was read as 12. A variant of a
		// checked name, escaped or not, makes its object malformed. No name
		// the table checks holds a k: key_id stands for one.
		{"case variant after the id", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10,"ID":12}}`), 0, ErrMalformedBody},
		{"case variant before the id", nodes("id", Accounts), page(`{"cursor":0,"node":{"Id":12,"id":10}}`), 0, ErrMalformedBody},
		{"case variant alone", nodes("id", Accounts), page(`{"cursor":0,"node":{"iD":10}}`), 0, ErrMalformedBody},
		{"case variant escaped", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10,"\u0049D":12}}`), 0, ErrMalformedBody},
		{"case variant all escaped", object("account_id", Accounts), `{"account_id":10,"\u0041\u0043\u0043\u004f\u0055\u004e\u0054\u005f\u0049\u0044":12}`, 0, ErrMalformedBody},
		{"case variant of the parent", of(nodes("id", Accounts), "parent"), page(`{"cursor":0,"node":{"id":11,"parent":10,"PARENT":11}}`), 10, ErrMalformedBody},
		{"case variant of the parent, id out of scope", of(nodes("id", Accounts), "parent"), page(`{"cursor":0,"node":{"id":12,"parent":10,"Parent":11}}`), 10, &Violation{}},
		{"case variant of the item's parent", of(items("parent_id", Accounts), "parent_id"), `[{"parent_id":10,"Parent_ID":11}]`, 10, ErrMalformedBody},
		{"case variant of target_type", Check{Shape: ObjectTarget}, `{"target_type":"USER","target_id":100,"Target_Type":"ACCOUNT"}`, 0, ErrMalformedBody},
		{"case variant of an escaped target_type", Check{Shape: ObjectTarget}, `{"target_type":"\u0055SER","target_id":100,"TARGET_TYPE":"ACCOUNT"}`, 0, ErrMalformedBody},
		{"case variant of target_id", Check{Shape: ObjectTarget}, `{"target_type":"USER","TARGET_ID":101,"target_id":100}`, 0, ErrMalformedBody},
		{"case variant of page_info", nodes("id", Accounts), `{"edges":[],"page_info":{"count":1},"Page_Info":{"count":9}}`, 0, ErrMalformedBody},
		{"case variant of count", nodes("id", Accounts), `{"edges":[],"page_info":{"count":1,"Count":9}}`, 0, ErrMalformedBody},
		{"case variant of node", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10},"NODE":{"id":12}}`), 0, ErrMalformedBody},
		{"case variant of the wrapper", Check{Shape: ObjectTarget, Wrap: "request"}, `{"request":{"target_type":"USER","target_id":100},"Request":{"target_type":"ACCOUNT","target_id":12}}`, 0, ErrMalformedBody},
		{"long s in edges", nodes("id", Accounts), `{"edges":[{"cursor":0,"node":{"id":10}}],"edge` + longS + `":[{"cursor":0,"node":{"id":12}}],"page_info":{"count":1}}`, 0, ErrMalformedBody},
		{"long s escaped in the wrapper", wrapped("users", "id", Users), `{"users":[{"id":100}],"u\u017fers":[{"id":101}]}`, 0, ErrMalformedBody},
		{"long s escaped, upper case", wrapped("users", "id", Users), `{"U\u017FERS":[{"id":101}],"users":[{"id":100}]}`, 0, ErrMalformedBody},
		{"Kelvin sign", object("key_id", Accounts), `{"key_id":10,"` + kelvin + `ey_id":12}`, 0, ErrMalformedBody},
		{"Kelvin sign escaped", object("key_id", Accounts), `{"\u212aEY_ID":12,"key_id":10}`, 0, ErrMalformedBody},
		{"case variant in a stake", stakes, stake(`"creation_tx":900,"Creation_TX":901`), 10, ErrMalformedBody},
		{"long s in an NFT's contract", Check{Shape: NFTs, Set: Accounts}, nftPage("3", `{"cursor":0,"node":{"contract_address":"0xA","contract_addre\u017fs":"0xC"}}`), 10, ErrMalformedBody},
		{"Kelvin sign in the collections", Check{Shape: NFTs, Set: Accounts}, nftPage("1", nft("0xD")), 13, ErrMalformedBody},
		{"variants of names not checked there", nodes("id", Accounts), page(`{"cursor":0,"CURSOR":1,"ID":12,"node":{"id":10,"Name":"x","NAME":"y","ids":12}}`), 0, nil},
		{"dotless and dotted i fold to no ASCII", nodes("id", Accounts), page(`{"cursor":0,"node":{"id":10,"\u0131d":12,"\u0130D":12}}`), 0, nil},
		{"long s where no s is", object("id", Accounts), `{"id":10,"` + longS + `d":12,"i` + longS + `":12}`, 0, nil},

		// A list of set members cannot count more than the set holds.
		{"count above the set", nodes("id", Accounts), `{"edges":[{"cursor":0,"node":{"id":10}}],"page_info":{"count":3,"has_next_page":true}}`, 0, &Violation{}},
		{"count within the set", nodes("id", Accounts), `{"edges":[{"cursor":0,"node":{"id":10}}],"page_info":{"count":2,"has_next_page":true}}`, 0, nil},
		{"count is not bounded by account_id", nodes("account_id", Accounts), `{"edges":[{"cursor":0,"node":{"account_id":10}}],"page_info":{"count":300,"has_next_page":true}}`, 0, nil},

		// Sub-resources belong to the path's object.
		{"child of the parent", of(nodes("id", Accounts), "parent"), page(`{"cursor":0,"node":{"id":11,"parent":10}}`), 10, nil},
		{"child of another parent in scope", of(nodes("id", Accounts), "parent"), page(`{"cursor":0,"node":{"id":11,"parent":11}}`), 10, &Violation{}},
		{"collection of another account in scope", of(nodes("account_id", Accounts), "account_id"), page(`{"cursor":0,"node":{"account_id":11}}`), 10, &Violation{}},
		{"token of the parent", of(items("parent_id", Accounts), "parent_id"), `[{"parent_id":10}]`, 10, nil},
		{"ethereum stake of another account", of(items("account_id", Accounts), "account_id"), `[{"account_id":10},{"account_id":11}]`, 10, &Violation{}},

		// Stakes: the creation transaction's account is the path's.
		{"stake tx cached", stakes, stake(`"creation_tx":900,"created_by":5`), 10, nil},
		{"stake tx of another account", stakes, stake(`"creation_tx":901,"created_by":5`), 10, &Violation{}},
		{"stake tx looked up", stakes, stake(`"creation_tx":903,"created_by":5`), 11, nil},
		{"stake tx unknown", stakes, stake(`"creation_tx":904,"created_by":5`), 10, &Violation{}},
		{"stake deep tx", stakes, stake(`"creation_tx":{"id":7,"account_id":10},"created_by":{"id":100}`), 10, nil},
		{"stake deep tx other account", stakes, stake(`"creation_tx":{"id":7,"account_id":11},"created_by":{"id":100}`), 10, &Violation{}},
		{"stake creator out of scope", stakes, stake(`"creation_tx":{"id":7,"account_id":10},"created_by":{"id":101}`), 10, &Violation{}},
		{"stake last request out of scope", stakes, stake(`"creation_tx":900,"last_request":{"id":3,"target_type":"ENTITY","target_id":1}`), 10, &Violation{}},
		{"stake without tx", stakes, stake(`"created_by":5`), 10, ErrMalformedBody},

		// NFTs: through the account's collections.
		{"nfts of the collections", Check{Shape: NFTs, Set: Accounts}, nftPage("3", nft("0xA"), nft("0xB")), 10, nil},
		{"nft of another contract", Check{Shape: NFTs, Set: Accounts}, nftPage("3", nft("0xA"), nft("0xC")), 10, &Violation{}},
		{"nfts outnumber the tokens", Check{Shape: NFTs, Set: Accounts}, nftPage("4", nft("0xA")), 10, &Violation{}},
		{"collections of another account", Check{Shape: NFTs, Set: Accounts}, nftPage("1", nft("0xC")), 11, &Violation{}},
		{"collections unreadable", Check{Shape: NFTs, Set: Accounts}, nftPage("0"), 12, &UpstreamError{}},
	}
}
