package ledgersim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// jwtHeader is {"typ":"JWT","alg":"ES256"}, as in the spec's example.
const jwtHeader = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9"

// addressJWT is the spec's address answer: a JWT whose claims are the
// address, its derivation path and the chain, and whose signature is a
// deterministic stand-in. The spec's pattern allows no '-' in the first
// two parts, so the claims get trailing spaces until their base64url has
// none.
func addressJWT(seed int64, address, path, chain string) string {
	claims, _ := json.Marshal(map[string]string{"address": address, "derivation_path": path, "blockchain_name": chain})
	open := string(claims[:len(claims)-1])
	var payload string
	for pad := 0; pad < 256; pad++ {
		payload = base64.RawURLEncoding.EncodeToString([]byte(open + strings.Repeat(" ", pad) + "}"))
		if !strings.Contains(payload, "-") {
			break
		}
	}
	h1 := sha256.Sum256([]byte(fmt.Sprintf("%d.%s.%s", seed, jwtHeader, payload)))
	h2 := sha256.Sum256(h1[:])
	return jwtHeader + "." + payload + "." + base64.RawURLEncoding.EncodeToString(append(h1[:], h2[:]...))
}

func (c *call) addressAccount() (*Account, coin, error) {
	a, err := c.account("account_id")
	if err != nil {
		return nil, coin{}, err
	}
	return a, accountCoin(a), nil
}

// accountAddress: the address of a non-UTXO account.
func accountAddress(c *call) (any, error) {
	a, co, err := c.addressAccount()
	if err != nil {
		return nil, err
	}
	if co.utxo {
		return nil, notFoundMsg("No address matches (a UTXO account: use /address/{index})")
	}
	return addressJWT(c.s.cfg.Seed, *a.Address, *a.DerivationPath, co.family), nil
}

// utxoAddress derives the address of a UTXO account at change (0 receive,
// 1 change) and index.
func (c *call) utxoAddress(a *Account, change, index int) (string, string) {
	r := newRand(c.s.cfg.Seed, "utxo-address", a.ID, change, index)
	return randAddress(r, "bitcoin"), fmt.Sprintf("%s/%d/%d", *a.DerivationPath, change, index)
}

// accountAddressAt: a receive or change address of a UTXO account.
func accountAddressAt(c *call) (any, error) {
	a, co, err := c.addressAccount()
	if err != nil {
		return nil, err
	}
	index, ok := c.pathInt("index")
	if !co.utxo || !ok || index < 0 {
		return nil, notFoundMsg("No address matches")
	}
	change := 0
	if t, _ := c.q.str("type"); t == "change" {
		change = 1
	}
	addr, path := c.utxoAddress(a, change, index)
	return addressJWT(c.s.cfg.Seed, addr, path, co.family), nil
}

type addressJSON struct {
	Address        string `json:"address"`
	DerivationPath string `json:"derivation_path"`
}

// accountAddresses (deprecated upstream): five receive addresses of a UTXO
// account, the one address of the others.
func accountAddresses(c *call) (any, error) {
	a, co, err := c.addressAccount()
	if err != nil {
		return nil, err
	}
	out := []addressJSON{}
	if !co.utxo {
		out = append(out, addressJSON{*a.Address, *a.DerivationPath})
	}
	for i := 0; co.utxo && i < 5; i++ {
		addr, path := c.utxoAddress(a, 0, i)
		out = append(out, addressJSON{addr, path})
	}
	return struct {
		Addresses []addressJSON `json:"addresses"`
	}{out}, nil
}

func accountAddressByIndex(c *call) (any, error) {
	a, co, err := c.addressAccount()
	if err != nil {
		return nil, err
	}
	index, ok := c.pathInt("index")
	switch {
	case !ok || index < 0 || !co.utxo && index != 0:
		return nil, notFoundMsg("No address matches the provided index")
	case !co.utxo:
		return addressJSON{*a.Address, *a.DerivationPath}, nil
	}
	addr, path := c.utxoAddress(a, 0, index)
	return addressJSON{addr, path}, nil
}

const (
	day                = 24 * time.Hour
	defaultHistoryDays = 30
)

type balancePoint struct {
	Date  string  `json:"date"`
	Value *string `json:"value"`
}

// accountBalancesHistory: one point a day from start to end (default: the
// last 30 days), values drawn from the seed per account and day. The spec
// sets no bound on the span and documents no 400 here, so there is none:
// days before the account existed or after now have no balance and no
// point, and a start after the end gives an empty history. That keeps the
// answer as long as the account's life, at most.
func accountBalancesHistory(c *call) (any, error) {
	a, co, err := c.addressAccount()
	if err != nil {
		return nil, err
	}
	end, ok := c.q.time("end")
	if !ok {
		end = c.now
	}
	start, ok := c.q.time("start")
	if !ok {
		start = end.Add(-defaultHistoryDays * day)
	}
	first := later(start.UTC().Truncate(day), a.CreatedOn.UTC().Truncate(day))
	last := earlier(end, c.now)
	total, _ := strconv.ParseInt(a.Balance, 10, 64)
	points := []balancePoint{}
	for t := first; !t.After(last); t = t.Add(day) {
		r := newRand(c.s.cfg.Seed, "balance-history", a.ID, int(t.Unix()/86400))
		points = append(points, balancePoint{t.Format(time.RFC3339), ptr(strconv.FormatInt(total/100*int64(80+r.IntN(41)), 10))})
	}
	return map[string]any{
		"account_index": a.Index,
		"balances":      points,
		"currency":      map[string]any{"magnitude": co.magnitude, "name": a.Currency, "network": co.family, "token_address": a.ContractAddress},
	}, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// nft is one NFT an EVM account holds.
type nft struct {
	accountID  int
	contract   string
	collection string
	tokenID    string
	tokenType  string
}

// nftsOf draws an EVM account's NFTs (none for the other accounts).
func nftsOf(seed int64, a *Account) []nft {
	if !accountCoin(a).evm || a.Parent != nil {
		return nil
	}
	r := newRand(seed, "nfts", a.ID)
	var contracts []string
	for range 1 + r.IntN(3) {
		contracts = append(contracts, "0x"+randHex(r, 40))
	}
	var out []nft
	for i := range r.IntN(8) {
		k := r.IntN(len(contracts))
		out = append(out, nft{a.ID, contracts[k], fmt.Sprintf("Collection %d-%d", a.ID, k+1),
			strconv.Itoa(1 + r.IntN(10000)), []string{"ERC721", "ERC1155"}[i%2]})
	}
	return out
}

// nftScope returns the NFTs of the path's account (in leaky mode, of
// every account) and the page asked for.
func (c *call) nftScope() ([]nft, pageReq, error) {
	a, err := c.account("account_id")
	if err != nil {
		return nil, pageReq{}, err
	}
	// The NFT lists document no 400: a page_size above the maximum gets
	// the largest page, as the spec says 0 and -1 do, not an error.
	q := c.q
	if n, ok := q.int("page_size"); ok && n > c.maxPageSize {
		q = q.with("page_size", strconv.Itoa(c.maxPageSize))
	}
	p, err := pageOf(q, defaultNFTPageSize, c.maxPageSize, "")
	if err != nil {
		return nil, p, err
	}
	if !c.leaky {
		return nftsOf(c.s.cfg.Seed, a), p, nil
	}
	var all []nft
	for _, x := range c.st.accounts {
		all = append(all, nftsOf(c.s.cfg.Seed, x)...)
	}
	return all, p, nil
}

func accountNFTs(c *call) (any, error) {
	items, p, err := c.nftScope()
	if err != nil {
		return nil, err
	}
	return paginate(items, p, func(n nft) any {
		return map[string]any{
			"contract_address": n.contract, "token_id": n.tokenID, "token_type": n.tokenType, "value": 1,
			"metadata": map[string]any{
				"media": "ipfs://" + n.contract[2:14] + "/" + n.tokenID, "medias": map[string]any{"original": map[string]any{"uri": "ipfs://" + n.contract[2:14] + "/" + n.tokenID, "mediaType": "image/png"}},
				"properties": []map[string]string{{"key": "edition", "value": n.tokenID}},
				"tokenId":    n.tokenID, "tokenName": n.collection + " #" + n.tokenID, "nftName": n.collection,
			},
			"price":      map[string]any{"ticker": "ETH", "value": 0.05, "contract_address": n.contract, "token_id": n.tokenID},
			"tx_balance": map[string]int{"available": 1, "on_chain": 1, "pending_approval": 0, "submitted": 0},
		}
	}), nil
}

// accountNFTCollections groups the NFTs by contract, in order of first
// appearance.
func accountNFTCollections(c *call) (any, error) {
	items, p, err := c.nftScope()
	if err != nil {
		return nil, err
	}
	type coll struct {
		first nft
		count int
	}
	var order []string
	byContract := map[string]*coll{}
	for _, n := range items {
		if byContract[n.contract] == nil {
			byContract[n.contract] = &coll{first: n}
			order = append(order, n.contract)
		}
		byContract[n.contract].count++
	}
	return paginate(order, p, func(contract string) any {
		cl := byContract[contract]
		return map[string]any{
			"account_id": cl.first.accountID, "contract_address": contract, "name": cl.first.collection,
			"token_balance": cl.count, "token_type": cl.first.tokenType,
			"image": map[string]string{"uri": "ipfs://" + contract[2:14], "mediaType": "image/png"},
			"price": map[string]any{"ticker": "ETH", "value": 0.05},
		}
	}), nil
}

func accountNFTPortfolio(c *call) (any, error) {
	a, err := c.account("account_id")
	if err != nil {
		return nil, err
	}
	n := len(nftsOf(c.s.cfg.Seed, a))
	return map[string]any{
		"portfolio_value": map[string]any{"eth_value": n, "usd_value": strconv.Itoa(n * 3100)},
		"token_quantity":  n,
	}, nil
}
