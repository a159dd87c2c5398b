package ledgersim

// coin describes one kind of account the generator makes. The tables in
// this file are constants in spirit: nothing writes to them.
type coin struct {
	typ       string // Account.type
	currency  string // Account.currency
	family    string // Transaction.currency_family
	ticker    string
	magnitude int
	minConf   int
	utxo      bool   // Bitcoin-like: no single address, an xpub
	staking   string // the staking path prefix, or ""
	evm       bool
	weight    int // relative frequency in the seeded accounts
}

// erc20Type is the Account.type of ERC-20 child accounts.
const erc20Type = "Erc20"

var coins = []coin{
	{typ: "Bitcoin", currency: "bitcoin", family: "bitcoin", ticker: "BTC", magnitude: 8, minConf: 2, utxo: true, weight: 20},
	{typ: "Ethereum", currency: "ethereum", family: "ethereum", ticker: "ETH", magnitude: 18, minConf: 12, staking: "ethereum", evm: true, weight: 22},
	{typ: erc20Type, currency: "ethereum", family: "ethereum", ticker: "ERC20", magnitude: 18, minConf: 12, evm: true, weight: 20},
	{typ: "Solana", currency: "solana", family: "solana", ticker: "SOL", magnitude: 9, minConf: 1, staking: "solana", weight: 8},
	{typ: "Cardano", currency: "cardano", family: "cardano", ticker: "ADA", magnitude: 6, minConf: 1, staking: "cardano", weight: 7},
	{typ: "Tezos", currency: "tezos", family: "tezos", ticker: "XTZ", magnitude: 6, minConf: 1, staking: "tezos", weight: 6},
	{typ: "Polkadot", currency: "polkadot", family: "polkadot", ticker: "DOT", magnitude: 10, minConf: 1, weight: 5},
	{typ: "Ripple", currency: "ripple", family: "ripple", ticker: "XRP", magnitude: 6, minConf: 1, weight: 4},
	{typ: "Stellar", currency: "stellar", family: "stellar", ticker: "XLM", magnitude: 7, minConf: 1, weight: 4},
	{typ: "Polygon", currency: "polygon", family: "polygon", ticker: "MATIC", magnitude: 18, minConf: 30, evm: true, weight: 4},
}

// coinByType returns the coin of an Account.type.
func coinByType(typ string) (coin, bool) {
	for _, c := range coins {
		if c.typ == typ {
			return c, true
		}
	}
	return coin{}, false
}

// coinByCurrency returns the top-level (non-token) coin of a currency.
func coinByCurrency(currency string) (coin, bool) {
	for _, c := range coins {
		if c.currency == currency && c.typ != erc20Type {
			return c, true
		}
	}
	return coin{}, false
}

// token is an ERC-20 token the ERC-20 child accounts hold.
type token struct {
	name, ticker, contract string
	magnitude              int
}

var tokens = []token{
	{"USD Coin", "USDC", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", 6},
	{"Tether USD", "USDT", "0xdac17f958d2ee523a2206206994597c13d831ec7", 6},
	{"Dai Stablecoin", "DAI", "0x6b175474e89094c44da98b954eedeac495271d0f", 18},
	{"ChainLink Token", "LINK", "0x514910771af9ca656af840dff83e8264ecf986ca", 18},
	{"Uniswap", "UNI", "0x1f9840a85d5af5bf1d1762f925bdaddc4201f984", 18},
}

func tokenByContract(contract string) (token, bool) {
	for _, t := range tokens {
		if t.contract == contract {
			return t, true
		}
	}
	return token{}, false
}

// fixedLabels are the workspace's labels (GET /labels), referenced by
// accounts and transactions.
var fixedLabels = []LiteLabel{
	{1, "audit-2024", LabelInfo{"#1f77b4", "Selected for the 2024 audit"}},
	{2, "cold-storage", LabelInfo{"#2ca02c", "Long-term holdings"}},
	{3, "exchange", LabelInfo{"#ff7f0e", "Flows with exchanges"}},
	{4, "payroll", LabelInfo{"#9467bd", "Salaries and contractors"}},
	{5, "otc", LabelInfo{"#d62728", "Over-the-counter trades"}},
	{6, "review", LabelInfo{"#8c564b", "Needs a second look"}},
}

var entityNames = []string{
	"Treasury", "Trading Desk", "Payroll", "Cold Reserve", "Market Making",
	"Ventures", "Custody Ops", "Staking",
}

var firstNames = []string{
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
	"judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent",
	"victor", "walter", "yuki",
}
