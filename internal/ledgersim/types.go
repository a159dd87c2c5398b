package ledgersim

import (
	"encoding/json"
	"time"
)

// The exported types below are the spec's component schemas of the same
// name, field for field: their JSON is what the simulator serves. Where a
// schema is closed (additionalProperties: false) no other field appears.
// Nullable fields are pointers and encode as null. Where the spec's
// `required` names a field its `properties` omit (Group.description,
// LabelInfo.description, the notes' title), the field is present: required
// wins.
//
// Values returned by the Server are copies; changing them changes nothing
// in the simulator.

// Dataset is the whole seeded data set, one list per collection in id
// order: the oracle tests compare the API's answers with.
type Dataset struct {
	Entities     []Entity      `json:"entities"`
	Accounts     []Account     `json:"accounts"`
	Users        []User        `json:"users"`
	Groups       []Group       `json:"groups"`
	Whitelists   []Whitelist   `json:"whitelists"`
	Transactions []Transaction `json:"transactions"`
	Requests     []Request     `json:"requests"`
	Digests      []Digest      `json:"digests"`
	Messages     []Message     `json:"messages"`
}

// Entity is the spec's Entity. Accounts is the only account↔entity link.
type Entity struct {
	ID          int       `json:"id"`
	Name        string    `json:"name"`
	Status      string    `json:"status"`
	Accounts    []int     `json:"accounts"`
	CreatedBy   int       `json:"created_by"`
	CreatedOn   time.Time `json:"created_on"`
	LastRequest *int      `json:"last_request"`
}

// Account is the spec's Account (an open schema; the simulator sends its
// declared fields only, and coin_fields and tradelink_data as null).
type Account struct {
	ID               int                 `json:"id"`
	Name             string              `json:"name"`
	Index            int                 `json:"index"`
	Currency         string              `json:"currency"`
	Type             string              `json:"type"`
	Status           string              `json:"status"`
	Parent           *int                `json:"parent"`
	Address          *string             `json:"address"`
	ContractAddress  *string             `json:"contract_address"`
	DerivationPath   *string             `json:"derivation_path"`
	Xpub             *string             `json:"xpub"`
	Balance          string              `json:"balance"`
	AvailableBalance string              `json:"available_balance"`
	PendingBalance   string              `json:"pending_balance"`
	CoinFields       *json.RawMessage    `json:"coin_fields"`
	GovernanceRules  []RuleSet           `json:"governance_rules"`
	Labels           []LiteLabel         `json:"labels"`
	TokenAccounts    []LightTokenAccount `json:"token_accounts"`
	TradelinkData    *json.RawMessage    `json:"tradelink_data"`
	CreatedBy        int                 `json:"created_by"`
	CreatedOn        time.Time           `json:"created_on"`
	LastRequest      *int                `json:"last_request"`
}

// RuleSet is the spec's AccountRuleSet.
type RuleSet struct {
	ID    int    `json:"id"`
	Index int    `json:"index"`
	Name  string `json:"name"`
	Rules []Rule `json:"rules"`
}

// Rule types (Rule.Type).
const (
	RuleMultiAuth         = "MULTI_AUTHORIZATIONS"
	RuleWhitelist         = "WHITELIST"
	RuleThreshold         = "THRESHOLD"
	RuleTransactionFilter = "TRANSACTION_FILTER"
	RuleSmartContract     = "SMART_CONTRACT_INTERACTION"
)

// Rule is one of the spec's Account*Rule schemas; Type says which, and so
// which fields of its Data entries are set.
type Rule struct {
	ID   int         `json:"id"`
	Type string      `json:"type"`
	Data []RuleEntry `json:"data"`
}

// RuleEntry is the union of the rule entry schemas. Per Rule.Type:
//   - MULTI_AUTHORIZATIONS: {group, quorum} (an external group) or
//     {users, quorum} (an internal group);
//   - WHITELIST: {whitelist};
//   - THRESHOLD: {currency_type, min, max};
//   - TRANSACTION_FILTER: {condition, filters, preset};
//   - SMART_CONTRACT_INTERACTION: {enabled}.
//
// Fields of the other shapes are left unset and do not appear in the JSON.
type RuleEntry struct {
	Group        *int           `json:"group,omitempty"`
	Users        []int          `json:"users,omitempty"`
	Quorum       int            `json:"quorum,omitempty"`
	Whitelist    *int           `json:"whitelist,omitempty"`
	CurrencyType string         `json:"currency_type,omitempty"`
	Min          *int64         `json:"min,omitempty"`
	Max          *int64         `json:"max,omitempty"`
	Condition    *string        `json:"condition,omitempty"`
	Filters      map[string]any `json:"filters,omitempty"`
	Preset       *string        `json:"preset,omitempty"`
	Enabled      *bool          `json:"enabled,omitempty"`
}

// LiteLabel is the spec's LiteLabel (a label embedded in an object).
type LiteLabel struct {
	ID   int       `json:"id"`
	Name string    `json:"name"`
	Info LabelInfo `json:"info"`
}

// LabelInfo is the spec's LabelInfo.
type LabelInfo struct {
	Color       string `json:"color"`
	Description string `json:"description"`
}

// LightTokenAccount is the spec's LightTokenAccount (and
// VaultLightTokenAccount, the same fields).
type LightTokenAccount struct {
	AccountName             string `json:"account_name"`
	AssociatedTokenAccount  string `json:"associated_token_account"`
	Available               int64  `json:"available"`
	ContractAddress         string `json:"contract_address"`
	CreationTransactionHash string `json:"creation_transaction_hash"`
	ParentID                int    `json:"parent_id"`
	Pending                 int64  `json:"pending"`
	Status                  string `json:"status"`
	Ticker                  string `json:"ticker"`
}

// User is the spec's User.
type User struct {
	ID          int       `json:"id"`
	Username    string    `json:"username"`
	Role        string    `json:"role"`
	Status      string    `json:"status"`
	IsAPI       bool      `json:"is_api"`
	UserID      *string   `json:"user_id"`
	PubKey      *string   `json:"pub_key"`
	KeyHandle   *string   `json:"key_handle"`
	CreatedBy   int       `json:"created_by"`
	CreatedOn   time.Time `json:"created_on"`
	LastRequest *int      `json:"last_request"`
}

// Group is the spec's Group; Members are user ids.
type Group struct {
	ID          int       `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Status      string    `json:"status"`
	Members     []int     `json:"members"`
	CreatedBy   int       `json:"created_by"`
	CreatedOn   time.Time `json:"created_on"`
	LastRequest *int      `json:"last_request"`
}

// Whitelist is the spec's Whitelist.
type Whitelist struct {
	ID          int                `json:"id"`
	Name        string             `json:"name"`
	Status      string             `json:"status"`
	Addresses   []WhitelistAddress `json:"addresses"`
	CreatedBy   int                `json:"created_by"`
	CreatedOn   time.Time          `json:"created_on"`
	LastRequest *int               `json:"last_request"`
}

// WhitelistAddress is the spec's WhitelistAddress.
type WhitelistAddress struct {
	ID              int    `json:"id"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	Currency        string `json:"currency"`
	DestinationTags []int  `json:"destination_tags"`
}

// Transaction is the spec's Transaction (compliance, failure_reasons and
// metadata, all nullable and optional, are not sent).
type Transaction struct {
	ID               int           `json:"id"`
	AccountID        int           `json:"account_id"`
	AccountIndex     int           `json:"account_index"`
	Type             string        `json:"type"`
	Status           string        `json:"status"`
	Currency         string        `json:"currency"`
	CurrencyFamily   string        `json:"currency_family"`
	Amount           *string       `json:"amount"`
	Fees             *string       `json:"fees"`
	MaxFees          *string       `json:"max_fees"`
	Recipient        *string       `json:"recipient"`
	Senders          []string      `json:"senders"`
	TxHash           *string       `json:"tx_hash"`
	UID              *string       `json:"uid"`
	Block            *Block        `json:"block"`
	BroadcastOn      *time.Time    `json:"broadcast_on"`
	CoinFields       *TxCoinFields `json:"coin_fields"`
	Confirmations    int           `json:"confirmations"`
	MinConfirmations int           `json:"min_confirmations"`
	InteractionType  *string       `json:"interaction_type"`
	Speed            *string       `json:"speed"`
	Labels           []LiteLabel   `json:"labels"`
	Notes            []Note        `json:"notes"`
	CreatedBy        int           `json:"created_by"`
	CreatedOn        time.Time     `json:"created_on"`
	LastRequest      *int          `json:"last_request"`
}

// Block is the spec's Block.
type Block struct {
	Hash   string    `json:"hash"`
	Height int64     `json:"height"`
	Time   time.Time `json:"time"`
}

// TxCoinFields is the union of the coin_fields schemas the simulator
// generates: BitcoinFields, EthereumAndEvmFieldsLegacy, RippleFields and
// StellarFields. Type says which; the other shapes' fields are unset.
type TxCoinFields struct {
	Type           string       `json:"type"`
	FeesPerByte    *string      `json:"fees_per_byte,omitempty"`
	GasLimit       *string      `json:"gas_limit,omitempty"`
	GasPrice       *string      `json:"gas_price,omitempty"`
	DestinationTag *int         `json:"destination_tag,omitempty"`
	Memo           *StellarMemo `json:"memo,omitempty"`
}

// StellarMemo is the spec's StellarMemoText.
type StellarMemo struct {
	Type string `json:"type"`
	Text string `json:"MEMO_TEXT"`
}

// Note is the spec's TransactionNote and TransactionOrMessageNote.
type Note struct {
	Title   string `json:"title"`
	Content string `json:"content"`
}

// Request is the spec's Request (the /requests nodes).
type Request struct {
	ID             int       `json:"id"`
	Type           string    `json:"type"`
	Status         string    `json:"status"`
	TargetType     string    `json:"target_type"`
	TargetID       int       `json:"target_id"`
	CreatedBy      *int      `json:"created_by"`
	CreatedOn      time.Time `json:"created_on"`
	ExpiresAt      time.Time `json:"expires_at"`
	UsedAdminGroup *int      `json:"used_admin_group"`
}

// Digest is the spec's Digests.
type Digest struct {
	ID          int          `json:"id"`
	AccountID   int          `json:"account_id"`
	Status      string       `json:"status"`
	DigestsData []DigestData `json:"digests_data"`
	Notes       []Note       `json:"notes"`
	CreatedBy   int          `json:"created_by"`
	CreatedOn   time.Time    `json:"created_on"`
	LastRequest *int         `json:"last_request"`
}

// DigestData is the spec's ToSignDigest, or SignedDigest when PubKey and
// Signature are set.
type DigestData struct {
	DerivationPath string           `json:"derivation_path"`
	Digest         string           `json:"digest"`
	PubKey         string           `json:"pub_key,omitempty"`
	Signature      *DigestSignature `json:"signature,omitempty"`
}

// DigestSignature is the spec's DigestSignature.
type DigestSignature struct {
	R   string  `json:"r"`
	S   string  `json:"s"`
	V   *int    `json:"v"`
	Der *string `json:"der"`
}

// Message is the spec's Message.
type Message struct {
	ID          int       `json:"id"`
	AccountID   int       `json:"account_id"`
	Status      string    `json:"status"`
	Type        string    `json:"type"`
	MessageType string    `json:"message_type"`
	Data        string    `json:"data"`
	Address     *string   `json:"address"`
	Signature   *string   `json:"signature"`
	Notes       []Note    `json:"notes"`
	CreatedBy   int       `json:"created_by"`
	CreatedOn   time.Time `json:"created_on"`
	LastRequest *int      `json:"last_request"`
}
