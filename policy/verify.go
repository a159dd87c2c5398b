package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/valyala/fastjson"
)

// ErrMalformedBody: a 200 body is not the JSON its operation returns. It is
// never passed on: what cannot be checked is not forwarded.
var ErrMalformedBody = errors.New("policy: upstream body does not have the expected shape")

// Violation is an object in a body that the key's scope does not cover.
type Violation struct {
	Field string
	ID    int64
	Set   Set
}

func (v *Violation) Error() string {
	return fmt.Sprintf("policy: %s %d is outside the key's %s", v.Field, v.ID, v.Set)
}

// Verifier checks upstream bodies against a scope (docs/design.md §3 step 7). It
// keeps parsers in a pool and is safe for concurrent use; a steady state
// allocates nothing on the shapes that need no upstream read.
type Verifier struct {
	parsers fastjson.ParserPool
	up      Upstream
	owners  *Owners
}

// NewVerifier returns a verifier that resolves owners through owners and
// reads what a body is checked against (an account's NFT collections)
// through up.
func NewVerifier(up Upstream, owners *Owners) *Verifier { return &Verifier{up: up, owners: owners} }

// Verify returns nil when every scope-bearing object of body is in scope,
// a *Violation naming the first that is not, ErrMalformedBody, or the
// error of an upstream read. parent is the id the rule checked in the path
// (0 when none): a sub-resource must belong to it. Verify reads the
// upstream only for Stakes (creation transactions whose owner is not
// cached) and NFTs (the account's collections).
//
// The shapes of the hot routes are checked in one pass over the body
// (verify_scan.go), which allocates nothing and finds what verifyParsed
// finds (a differential fuzz test holds them together); Stakes and NFTs,
// which read the upstream anyway, are parsed after the same validation.
func (v *Verifier) Verify(ctx context.Context, body []byte, c Check, s *Scope, parent int64) error {
	switch c.Shape {
	case NoCheck:
		return nil
	case Stakes, NFTs:
		if !validJSON(body) {
			return ErrMalformedBody
		}
		return v.verifyParsed(ctx, body, c, s, parent)
	}
	if err := v.scan(body, c, s, parent); err != errScanFallback {
		return err
	}
	return v.verifyParsed(ctx, body, c, s, parent)
}

// verifyParsed is Verify on a parsed body: the reference the scan is held
// to. fastjson's parser is laxer than JSON (it reads "nan", "1-2", raw
// control characters in strings): Verify validates the body first.
func (v *Verifier) verifyParsed(ctx context.Context, body []byte, c Check, s *Scope, parent int64) error {
	p := v.parsers.Get()
	defer v.parsers.Put(p)
	root, err := p.ParseBytes(body)
	if err != nil {
		return ErrMalformedBody
	}
	switch c.Shape {
	case Nodes, NodesTarget, Stakes, NFTs:
		return v.checkPage(ctx, root, c, s, parent)
	case Items:
		arr, err := root.Array()
		if err != nil {
			return ErrMalformedBody
		}
		return v.checkAll(ctx, arr, c, s, parent)
	case Wrapped:
		arr, err := arrayAt(root, c.Wrap)
		if err != nil {
			return ErrMalformedBody
		}
		return v.checkAll(ctx, arr, c, s, parent)
	case ObjectTarget:
		if c.Wrap != "" {
			if root, err = field(root, c.Wrap); err != nil {
				return err
			}
		}
		return v.checkOne(ctx, root, c, s, parent)
	default:
		return v.checkOne(ctx, root, c, s, parent)
	}
}

// checkPage checks a paginated envelope. A list whose nodes are members
// of a scope set cannot count more than the set holds: an upstream that
// ignored the scope filter is caught on a page whose nodes all happen to
// be in scope too.
func (v *Verifier) checkPage(ctx context.Context, root *fastjson.Value, c Check, s *Scope, parent int64) error {
	edges, err := arrayAt(root, "edges")
	if err != nil {
		return err
	}
	info, err := field(root, "page_info")
	if err != nil {
		return err
	}
	count, err := intField(info, "count")
	if err != nil {
		return err
	}
	if c.Shape == Nodes && c.Field == "id" && count > int64(len(s.Set(c.Set))) {
		return &Violation{Field: "page_info.count", ID: count, Set: c.Set}
	}
	if c.Shape == NFTs {
		return v.checkNFTs(ctx, edges, count, parent)
	}
	for _, e := range edges {
		node, err := field(e, "node")
		if err != nil {
			return err
		}
		if err := v.checkOne(ctx, node, c, s, parent); err != nil {
			return err
		}
	}
	return nil
}

func (v *Verifier) checkAll(ctx context.Context, arr []*fastjson.Value, c Check, s *Scope, parent int64) error {
	for _, item := range arr {
		if err := v.checkOne(ctx, item, c, s, parent); err != nil {
			return err
		}
	}
	return nil
}

func (v *Verifier) checkOne(ctx context.Context, obj *fastjson.Value, c Check, s *Scope, parent int64) error {
	if obj == nil || obj.Type() != fastjson.TypeObject {
		return ErrMalformedBody
	}
	switch c.Shape {
	case NodesTarget, ObjectTarget:
		return v.checkTarget(obj, s)
	case Stakes:
		return v.checkStake(ctx, obj, s, parent)
	}
	id, err := intField(obj, c.Field)
	if err != nil {
		return err
	}
	if !s.Has(c.Set, id) {
		return &Violation{Field: c.Field, ID: id, Set: c.Set}
	}
	if c.Parent == "" {
		return nil
	}
	if p, err := intField(obj, c.Parent); err != nil {
		return err
	} else if p != parent {
		return &Violation{Field: c.Parent, ID: p, Set: c.Set}
	}
	return nil
}

func (v *Verifier) checkTarget(obj *fastjson.Value, s *Scope) error {
	id, err := intField(obj, "target_id")
	if err != nil {
		return err
	}
	typ, err := stringField(obj, "target_type")
	if err != nil {
		return err
	}
	if !TargetInScope(s, ClassifyTarget(typ), id, v.owners) {
		return &Violation{Field: "target_id", ID: id}
	}
	return nil
}

// checkStake checks a Cardano, Solana or Tezos stake: its creation
// transaction (an id, or the Transaction itself with light=false) must be
// the path account's, and the objects the deep form embeds — the creator
// (a User) and the last request — must be in scope.
func (v *Verifier) checkStake(ctx context.Context, obj *fastjson.Value, s *Scope, parent int64) error {
	tx, err := field(obj, "creation_tx")
	if err != nil {
		return err
	}
	var account int64
	switch tx.Type() {
	case fastjson.TypeNumber:
		id, err := tx.Int64()
		if err != nil {
			return ErrMalformedBody
		}
		ow, err := v.owners.Lookup(ctx, TransactionOwner, id)
		if errors.Is(err, ErrObjectNotFound) {
			return &Violation{Field: "creation_tx", ID: id, Set: Accounts}
		}
		if err != nil {
			return err
		}
		account = ow.ID
	case fastjson.TypeObject:
		if account, err = intField(tx, "account_id"); err != nil {
			return err
		}
	default:
		return ErrMalformedBody
	}
	if account != parent {
		return &Violation{Field: "creation_tx.account_id", ID: account, Set: Accounts}
	}
	if u, err := optField(obj, "created_by"); err != nil {
		return err
	} else if u != nil && u.Type() == fastjson.TypeObject {
		id, err := intField(u, "id")
		if err != nil {
			return err
		}
		if !s.Users.Has(id) {
			return &Violation{Field: "created_by.id", ID: id, Set: Users}
		}
	}
	if r, err := optField(obj, "last_request"); err != nil {
		return err
	} else if r != nil && r.Type() == fastjson.TypeObject {
		return v.checkTarget(r, s)
	}
	return nil
}

// NFT entries carry no account id, so they are checked through the
// account's collections, which do: every entry's contract must be one of
// them, and the entries cannot outnumber the tokens they hold. An upstream
// that answered other accounts' NFTs is caught by the collections it also
// answers for the account, or by their count.
func (v *Verifier) checkNFTs(ctx context.Context, edges []*fastjson.Value, count, account int64) error {
	contracts, tokens, err := v.collections(ctx, account)
	if err != nil {
		return err
	}
	if count > tokens {
		return &Violation{Field: "page_info.count", ID: count, Set: Accounts}
	}
	for _, e := range edges {
		node, err := field(e, "node")
		if err != nil {
			return err
		}
		contract, err := stringField(node, "contract_address")
		if err != nil {
			return err
		}
		if !contracts[string(contract)] {
			return &Violation{Field: "contract_address", ID: account, Set: Accounts}
		}
	}
	return nil
}

// maxCollectionPages bounds the collection pages read for one NFT check.
const maxCollectionPages = 100

// collections reads an account's NFT collections: their contracts and
// the tokens they hold. Each must name the account.
func (v *Verifier) collections(ctx context.Context, account int64) (map[string]bool, int64, error) {
	contracts := map[string]bool{}
	var tokens int64
	for page := 1; page <= maxCollectionPages; page++ {
		p := "/accounts/" + strconv.FormatInt(account, 10) + "/nft-collections?page=" + strconv.Itoa(page) + "&page_size=100"
		status, body, err := v.up.Fetch(ctx, p)
		switch {
		case err != nil:
			return nil, 0, err
		case status != http.StatusOK:
			return nil, 0, &UpstreamError{Status: status}
		}
		root, err := fastjson.ParseBytes(body)
		if err != nil {
			return nil, 0, ErrMalformedBody
		}
		edges, err := arrayAt(root, "edges")
		if err != nil {
			return nil, 0, err
		}
		for _, e := range edges {
			node, err := field(e, "node")
			if err != nil {
				return nil, 0, err
			}
			if owner, err := intField(node, "account_id"); err != nil {
				return nil, 0, err
			} else if owner != account {
				return nil, 0, &Violation{Field: "account_id", ID: owner, Set: Accounts}
			}
			contract, err := stringField(node, "contract_address")
			if err != nil {
				return nil, 0, err
			}
			n, err := intField(node, "token_balance")
			if err != nil {
				return nil, 0, err
			}
			contracts[string(contract)] = true
			tokens += n
		}
		if next, err := field(root, "page_info"); err != nil {
			return nil, 0, err
		} else if !next.GetBool("has_next_page") {
			return contracts, tokens, nil
		}
	}
	return nil, 0, fmt.Errorf("policy: account %d has more than %d pages of NFT collections", account, maxCollectionPages)
}

// TargetInScope decides a request target from the scope and the owners
// already known; an unknown transaction owner is out of scope (fail closed).
func TargetInScope(s *Scope, kind TargetKind, id int64, owners *Owners) bool {
	switch kind {
	case TargetAccount:
		return s.Accounts.Has(id)
	case TargetUser:
		return s.Users.Has(id)
	case TargetTransaction:
		acct, ok := owners.Cached(TransactionOwner, id)
		return ok && s.Accounts.Has(acct)
	}
	return false
}

// field returns obj's value for key, which must appear exactly once. The
// parser keeps the first of duplicate keys, while a partner's decoder
// (encoding/json, JSON.parse) keeps the last: a body checked by one value
// and read by another would pass the check and leak. No other key may
// equal it under case folding either: encoding/json, decoding into a
// struct, reads "ID" as "id", and U+017F (long s) as "s" (scan_fold.go).
func field(obj *fastjson.Value, key string) (*fastjson.Value, error) {
	v, err := optField(obj, key)
	if err == nil && v == nil {
		return nil, ErrMalformedBody
	}
	return v, err
}

// optField is field for an optional key: nil when absent.
func optField(obj *fastjson.Value, key string) (*fastjson.Value, error) {
	if obj == nil {
		return nil, ErrMalformedBody
	}
	o, err := obj.Object()
	if err != nil {
		return nil, ErrMalformedBody
	}
	var found *fastjson.Value
	n := 0
	variant := false
	o.Visit(func(k []byte, v *fastjson.Value) { // keys unescaped: "\u0069d" is "id"
		switch {
		case string(k) == key:
			found = v
			n++
		case len(k) >= len(key) && bytes.EqualFold(k, []byte(key)): // no variant is shorter
			variant = true
		}
	})
	if n > 1 || variant {
		return nil, ErrMalformedBody
	}
	return found, nil
}

func arrayAt(obj *fastjson.Value, key string) ([]*fastjson.Value, error) {
	v, err := field(obj, key)
	if err != nil {
		return nil, err
	}
	arr, err := v.Array()
	if err != nil {
		return nil, ErrMalformedBody
	}
	return arr, nil
}

func intField(obj *fastjson.Value, key string) (int64, error) {
	f, err := field(obj, key)
	if err != nil || f.Type() != fastjson.TypeNumber {
		return 0, ErrMalformedBody
	}
	id, err := f.Int64()
	if err != nil {
		return 0, ErrMalformedBody
	}
	return id, nil
}

func stringField(obj *fastjson.Value, key string) ([]byte, error) {
	f, err := field(obj, key)
	if err != nil || f.Type() != fastjson.TypeString {
		return nil, ErrMalformedBody
	}
	b, _ := f.StringBytes()
	return b, nil
}
