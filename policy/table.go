package policy

// Strategy is how a reporting key's scope is enforced on one operation
// (docs/design.md §4). Exactly one per operation.
type Strategy uint8

const (
	// Deny: a known operation a reporting key may not call (403).
	Deny Strategy = iota
	// Inject: a list whose filter carries the whole scope; the caller's
	// values are intersected with the scope, or the scope is injected.
	Inject
	// Path: the id in the path must be in a scope set before any upstream call.
	Path
	// Owner: the object's owner (its account, or a request's target) decides;
	// owners never change, so they are cached once known.
	Owner
	// ScopedList: no upstream filter carries the scope; the gateway builds the
	// in-scope page itself with an honest page_info.
	ScopedList
	// Gateway: served by the gateway itself, never forwarded.
	Gateway
	// Global: reference data with no scope, allowed by configuration.
	Global
)

var strategyNames = [...]string{"deny", "inject", "path", "owner", "scoped-list", "gateway", "global"}

func (s Strategy) String() string { return strategyNames[s] }

// Set names one of a key's scope sets.
type Set uint8

const (
	NoSet Set = iota
	Entities
	Accounts
	Users
	Groups
	Whitelists
)

var setNames = [...]string{"none", "entities", "accounts", "users", "groups", "whitelists"}

func (s Set) String() string { return setNames[s] }

// Shape is where the objects that carry scope sit in a 200 body.
type Shape uint8

const (
	// NoCheck: the body carries no scope-bearing id (balances, history, an
	// address); the path check already decided.
	NoCheck Shape = iota
	// Nodes: a paginated envelope; every edges[].node.<Field> must be in Set.
	Nodes
	// Object: the body is one object; its <Field> must be in Set.
	Object
	// Items: the body is an array; every item's <Field> must be in Set.
	Items
	// Wrapped: the body is {<Wrap>: [...]}; every item's <Field> must be in Set.
	Wrapped
	// NodesTarget / ObjectTarget: request objects; (target_type, target_id)
	// must be a target in scope (see TargetInScope). ObjectTarget looks
	// under <Wrap> when it is set (governance-status nests the request).
	NodesTarget
	ObjectTarget
	// Stakes: a paginated envelope of Cardano, Solana or Tezos stakes; each
	// creation_tx must be a transaction of the path's account, and the
	// objects the deep form embeds must be in scope.
	Stakes
	// NFTs: a paginated envelope of NFT entries, which carry no account:
	// checked against the path account's NFT collections.
	NFTs
)

// Check says how a 200 body is verified against the scope (the tripwire).
type Check struct {
	Shape Shape
	Field string // the id field, e.g. "id" or "account_id"
	Set   Set
	Wrap  string // Wrapped / ObjectTarget: the enclosing key
	// Parent, on a sub-resource of the object in the path, is the field
	// that must equal the path's id: an item must belong to its parent, not
	// merely be in scope.
	Parent string
}

// OwnerKind is the object an Owner rule looks up.
type OwnerKind uint8

const (
	NoOwner OwnerKind = iota
	TransactionOwner
	DigestOwner
	MessageOwner
	RequestOwner
)

// Rule is the policy of one operation.
type Rule struct {
	Method   string
	Path     string // the spec's template
	Strategy Strategy
	// Set is the scope set a Path rule checks the path id against.
	Set Set
	// Param is the path parameter holding the id a Path or Owner rule checks.
	Param string
	// Filter is the query parameter an Inject rule intersects or injects.
	Filter string
	// FilterSet is the scope set whose ids fill Filter.
	FilterSet Set
	// Bounds are the other query parameters naming scope-bearing ids (see
	// Bound).
	Bounds []Bound
	// Pins are query parameters a key may give one value of only.
	Pins []Pin
	// Owner is the object an Owner rule resolves.
	Owner OwnerKind
	// Verify is how the 200 body is checked.
	Verify Check
	// Reason explains a Deny to the partner.
	Reason string
}

func inject(method, path, filter string, set Set, verify Check) Rule {
	return Rule{Method: method, Path: path, Strategy: Inject, Filter: filter, FilterSet: set, Verify: verify}
}

func path(p, param string, set Set, verify Check) Rule {
	return Rule{Method: "GET", Path: p, Strategy: Path, Param: param, Set: set, Verify: verify}
}

func owner(p, param string, kind OwnerKind, verify Check) Rule {
	return Rule{Method: "GET", Path: p, Strategy: Owner, Param: param, Owner: kind, Verify: verify}
}

// scopedList: the nodes to keep are those Verify accepts.
func scopedList(p string, verify Check, bounds ...Bound) Rule {
	return Rule{Method: "GET", Path: p, Strategy: ScopedList, Set: verify.Set, Verify: verify, Bounds: bounds}
}

func deny(method, p, reason string) Rule {
	return Rule{Method: method, Path: p, Strategy: Deny, Reason: reason}
}

func global(p string) Rule { return Rule{Method: "GET", Path: p, Strategy: Global} }

func nodes(field string, set Set) Check  { return Check{Shape: Nodes, Field: field, Set: set} }
func object(field string, set Set) Check { return Check{Shape: Object, Field: field, Set: set} }
func items(field string, set Set) Check  { return Check{Shape: Items, Field: field, Set: set} }
func wrapped(wrap, field string, set Set) Check {
	return Check{Shape: Wrapped, Wrap: wrap, Field: field, Set: set}
}

// of makes c a check of the path object's sub-resources: parent is the
// field naming their parent.
func of(c Check, parent string) Check { c.Parent = parent; return c }

// Pin is a query parameter a key may give only Value to; any other value
// is refused with Reason.
type Pin struct{ Param, Value, Reason string }

// lightStakes pins light=true: the deep form embeds the stake's creator (a
// User) and its last request, which a key's scope need not cover.
var lightStakes = Pin{"light", "true", "light=false embeds the stake's creator and last request, which a reporting key may not see; use light=true (the default)"}

func stakes(p string) Rule {
	r := path(p, "account_id", Accounts, Check{Shape: Stakes, Set: Accounts})
	r.Pins = []Pin{lightStakes}
	return r
}

const (
	readOnly    = "reporting keys are read-only"
	approvals   = "approval flows are for operators, not reporting keys"
	operatorJWT = "operator authentication is not available to reporting keys"
	sideEffect  = "this read triggers a chain synchronisation, a side effect"
	notInScope  = "this data is not part of a reporting key's scope"
)

// Table returns the policy of every operation of the upstream's spec, and of
// the gateway-served DELETE /notifications/configuration. Anything not in
// it is denied (404 for unknown paths). A test proves it covers the spec.
func Table() []Rule {
	acct := func(p string, verify Check) Rule { return path(p, "account_id", Accounts, verify) }
	none := Check{}
	return []Rule{
		// Accounts of the key's entities.
		inject("GET", "/accounts", "entity", Entities, nodes("id", Accounts)),
		acct("/accounts/{account_id}", object("id", Accounts)),
		acct("/accounts/{account_id}/address", none),
		acct("/accounts/{account_id}/address/{index}", none),
		acct("/accounts/{account_id}/addresses", none),
		acct("/accounts/{account_id}/addresses/{index}", none),
		acct("/accounts/{account_id}/balances", none),
		acct("/accounts/{account_id}/balances/history", none),
		acct("/accounts/{account_id}/currency", none),
		acct("/accounts/{account_id}/history", none),
		acct("/accounts/{account_id}/labels", none),
		acct("/accounts/{account_id}/nft-collections", of(nodes("account_id", Accounts), "account_id")),
		acct("/accounts/{account_id}/nft-portfolio", none),
		acct("/accounts/{account_id}/nfts", Check{Shape: NFTs, Set: Accounts}),
		deny("GET", "/accounts/{account_id}/sync", sideEffect),
		acct("/accounts/{account_id}/tokens", of(items("parent_id", Accounts), "parent_id")),
		path("/accounts/{parent_account_id}/erc20-children-accounts", "parent_account_id", Accounts, of(nodes("id", Accounts), "parent")),

		deny("POST", "/auth/token", operatorJWT),
		deny("POST", "/auth/token/refresh", operatorJWT),

		// Staking, by the account in the path.
		acct("/cardano/accounts/{account_id}/periodic-rewards", none),
		acct("/cardano/accounts/{account_id}/rewards", none),
		stakes("/cardano/accounts/{account_id}/stakes"),
		acct("/cardano/accounts/{account_id}/stakes/{stake_uid}/rewards", none),
		acct("/ethereum/accounts/{account_id}/rewards", none),
		acct("/ethereum/accounts/{account_id}/stakes", of(items("account_id", Accounts), "account_id")),
		acct("/ethereum/accounts/{account_id}/stakes/{stake_uid}/rewards", none),
		acct("/solana/accounts/{account_id}/periodic-rewards", none),
		acct("/solana/accounts/{account_id}/rewards", none),
		stakes("/solana/accounts/{account_id}/stakes"),
		acct("/solana/accounts/{account_id}/stakes/{stake_uid}/rewards", none),
		acct("/tezos/accounts/{account_id}/rewards", none),
		stakes("/tezos/accounts/{account_id}/stakes"),

		// Reference data.
		global("/certificates/chain"),
		global("/currencies"),
		global("/currencies/tokens"),
		global("/currencies/{currency_name}"),
		global("/currencies/{currency_name}/tokens/{contract_address}"),
		global("/currencies/{currency_name}/{address}"),
		deny("GET", "/compliance/address-risk/{address}", notInScope),
		deny("GET", "/compliance/sanctions/{address}", notInScope),

		// Objects owned by an account.
		inject("GET", "/digests", "account", Accounts, nodes("account_id", Accounts)),
		owner("/digests/{digests_id}", "digests_id", DigestOwner, object("account_id", Accounts)),
		owner("/digests/{digests_id}/history", "digests_id", DigestOwner, none),
		inject("GET", "/messages", "account", Accounts, nodes("account_id", Accounts)),
		owner("/messages/{message_id}", "message_id", MessageOwner, object("account_id", Accounts)),
		owner("/messages/{message_id}/history", "message_id", MessageOwner, none),
		inject("GET", "/transactions", "account", Accounts, nodes("account_id", Accounts)),
		deny("POST", "/transactions/estimate-fees", readOnly),
		owner("/transactions/{transaction_id}", "transaction_id", TransactionOwner, object("account_id", Accounts)),
		owner("/transactions/{transaction_id}/history", "transaction_id", TransactionOwner, none),
		owner("/transactions/{transaction_id}/labels", "transaction_id", TransactionOwner, none),
		deny("POST", "/transactions/{transaction_id}/reject", readOnly),

		// The key's entities. Listed by the gateway rather than injected: no
		// filter names entities, and the account filter missed an entity
		// without accounts, which the key may still read.
		scopedList("/entities", nodes("id", Entities), Bound{"account", Accounts}, Bound{"id", Entities}),
		path("/entities/{entity_id}", "entity_id", Entities, object("id", Entities)),
		path("/entities/{entity_id}/history", "entity_id", Entities, none),
		path("/entities/{entity_id}/users", "entity_id", Entities, wrapped("users", "id", Users)),

		// Governance of the key's accounts.
		scopedList("/groups", nodes("id", Groups), Bound{"members", Users}, Bound{"id", Groups}),
		path("/groups/{group_id}", "group_id", Groups, object("id", Groups)),
		path("/groups/{group_id}/history", "group_id", Groups, none),
		scopedList("/users", nodes("id", Users), Bound{"account", Accounts}, Bound{"group", Groups}, Bound{"id", Users}),
		path("/users/{user_id}", "user_id", Users, object("id", Users)),
		path("/users/{user_id}/history", "user_id", Users, none),
		inject("GET", "/whitelists", "account", Accounts, nodes("id", Whitelists)),
		path("/whitelists/{whitelist_id}", "whitelist_id", Whitelists, object("id", Whitelists)),
		path("/whitelists/{whitelist_id}/history", "whitelist_id", Whitelists, none),

		// Requests targeting the key's accounts, users and transactions.
		scopedList("/requests", Check{Shape: NodesTarget}),
		deny("POST", "/requests", readOnly),
		owner("/requests/{request_id}", "request_id", RequestOwner, Check{Shape: ObjectTarget}),
		deny("POST", "/requests/{request_id}/approve", approvals),
		deny("GET", "/requests/{request_id}/challenge", approvals),
		deny("GET", "/requests/{request_id}/challenge/reject", approvals),
		owner("/requests/{request_id}/governance-status", "request_id", RequestOwner, Check{Shape: ObjectTarget, Wrap: "request"}),
		deny("POST", "/requests/{request_id}/reject", approvals),

		// Partner webhooks are the gateway's own (docs/design.md §8).
		{Method: "GET", Path: "/notifications/configuration", Strategy: Gateway},
		{Method: "PUT", Path: "/notifications/configuration", Strategy: Gateway},
		{Method: "DELETE", Path: "/notifications/configuration", Strategy: Gateway},

		// Outside a reporting key's scope.
		deny("GET", "/labels", notInScope),
		deny("GET", "/labels/{label_id}", notInScope),
		deny("GET", "/organization", notInScope),
		deny("GET", "/pledges", notInScope),
		deny("GET", "/pledges/{pledge_id}", notInScope),
		deny("GET", "/settlements", notInScope),
		deny("POST", "/settlements", readOnly),
		deny("GET", "/settlements/{settlement_id}", notInScope),
		deny("POST", "/settlements/{settlement_id}/cancel", readOnly),
		deny("POST", "/settlements/{settlement_id}/recover", readOnly),
	}
}
