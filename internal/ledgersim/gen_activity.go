package ledgersim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// transactions spreads the transactions uniformly over the accounts.
func (g *gen) transactions() {
	r := newRand(g.cfg.Seed, "transactions")
	n := g.cfg.Transactions
	if len(g.st.accounts) == 0 {
		n = 0
	}
	g.st.transactions = make([]*Transaction, 0, n)
	for id := 1; id <= n; id++ {
		a := pick(r, g.st.accounts)
		kind := "RECEIVE"
		if r.IntN(2) == 0 {
			kind = "SEND"
		}
		tx := newTransaction(r, g.st, a, kind, transactionTime(id))
		tx.ID = id
		if accountCoin(a).evm && kind == "SEND" && r.IntN(6) == 0 { // a contract call
			tx.Type = "EXECUTE_CONTRACT"
			tx.InteractionType = ptr(pick(r, []string{"SWAP", "APPROVAL", "STAKE", "WRAP"}))
		}
		if r.IntN(5) == 0 {
			tx.Notes = []Note{{Title: fmt.Sprintf("Invoice %d", 1000+r.IntN(9000)), Content: pick(r, []string{"quarterly settlement", "payroll batch", "exchange top-up", "client withdrawal"})}}
		}
		if r.IntN(10) == 0 {
			tx.Labels = []LiteLabel{pick(r, fixedLabels)}
		}
		tx.Status = txStatus(r, kind)
		settle(r, tx)
		g.st.transactions = append(g.st.transactions, tx)
		appendIndex(g.st.txByAccount, a.ID, id)
	}
}

// newTransaction draws a SEND or RECEIVE of account a, created at t, with
// status SUBMITTED and no block; callers set the id and may settle it.
func newTransaction(r *rand.Rand, st *store, a *Account, kind string, t time.Time) *Transaction {
	c := accountCoin(a)
	tx := &Transaction{
		AccountID: a.ID, AccountIndex: a.Index, Type: kind, Status: "SUBMITTED",
		Currency: a.Currency, CurrencyFamily: c.family, Amount: ptr(randAmount(r, c.magnitude+2)),
		MinConfirmations: c.minConf, Labels: []LiteLabel{}, Notes: []Note{},
		CreatedBy: a.CreatedBy, CreatedOn: t,
	}
	own := ownAddress(r, a, c)
	if kind == "SEND" {
		tx.Recipient = ptr(sendRecipient(r, st, a, c))
		tx.Senders = []string{own}
		tx.Fees = ptr(randAmount(r, max(c.magnitude-3, 3)))
		tx.Speed = ptr(pick(r, []string{"NORMAL", "NORMAL", "FAST", "SLOW"}))
		if users := sortedKeys(st.accountUsers(a)); len(users) > 0 {
			tx.CreatedBy = pick(r, users)
		}
	} else {
		tx.Recipient = ptr(own)
		tx.Senders = []string{randAddress(r, c.family)}
	}
	tx.CoinFields = coinFields(r, c, kind)
	return tx
}

// accountCoin returns the coin of an account (ERC-20 children: Ethereum's
// family with the token's magnitude).
func accountCoin(a *Account) coin {
	c, _ := coinByType(a.Type)
	if a.ContractAddress != nil {
		if t, ok := tokenByContract(*a.ContractAddress); ok {
			c.magnitude, c.ticker = t.magnitude, t.ticker
		}
	}
	return c
}

func ownAddress(r *rand.Rand, a *Account, c coin) string {
	if a.Address != nil {
		return *a.Address
	}
	return randAddress(r, c.family) // UTXO accounts: a fresh address
}

// sendRecipient pays one of the account's whitelisted addresses when it has
// a WHITELIST rule, an outside address otherwise.
func sendRecipient(r *rand.Rand, st *store, a *Account, c coin) string {
	var addrs []string
	for _, wid := range governanceOf(a).whitelists {
		if wl := byID(st.whitelists, wid); wl != nil {
			for _, wa := range wl.Addresses {
				addrs = append(addrs, wa.Address)
			}
		}
	}
	if len(addrs) > 0 {
		return pick(r, addrs)
	}
	return randAddress(r, c.family)
}

func coinFields(r *rand.Rand, c coin, kind string) *TxCoinFields {
	switch {
	case c.family == "bitcoin":
		return &TxCoinFields{Type: "Bitcoin", FeesPerByte: ptr(fmt.Sprint(1 + r.IntN(60)))}
	case c.evm && kind == "SEND":
		return &TxCoinFields{Type: "EthereumAndEvm", GasLimit: ptr(fmt.Sprint(21000 + r.IntN(200000))),
			GasPrice: ptr(fmt.Sprint((5 + r.IntN(60)) * 1_000_000_000))}
	case c.family == "ripple":
		return &TxCoinFields{Type: "Ripple", DestinationTag: ptr(r.IntN(1_000_000))}
	case c.family == "stellar":
		return &TxCoinFields{Type: "Stellar", Memo: &StellarMemo{Type: "MEMO_TEXT", Text: "ref-" + randHex(r, 8)}}
	}
	return nil
}

func txStatus(r *rand.Rand, kind string) string {
	if kind == "RECEIVE" {
		return pick(r, []string{"CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED", "SUBMITTED"})
	}
	return pick(r, []string{"CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED",
		"CONFIRMED", "SUBMITTED", "PENDING_APPROVAL", "PENDING_APPROVAL", "APPROVED", "REJECTED", "FAILED"})
}

// settle fills what the status implies: hash, broadcast time, block and
// confirmations.
func settle(r *rand.Rand, tx *Transaction) {
	switch tx.Status {
	case "PENDING_APPROVAL", "APPROVED", "REJECTED":
		return
	}
	tx.TxHash = ptr(randTxHash(r, tx.CurrencyFamily))
	tx.BroadcastOn = ptr(tx.CreatedOn.Add(time.Minute))
	if tx.Status == "CONFIRMED" {
		tx.Block = &Block{Hash: randTxHash(r, tx.CurrencyFamily), Height: 800_000 + int64(r.IntN(10_000_000)),
			Time: tx.CreatedOn.Add(10 * time.Minute)}
		tx.Confirmations = tx.MinConfirmations + r.IntN(1000)
	}
}

func (g *gen) digests() {
	r := newRand(g.cfg.Seed, "digests")
	n := g.cfg.Digests
	if len(g.st.accounts) == 0 {
		n = 0
	}
	g.st.digests = make([]*Digest, 0, n)
	for id := 1; id <= n; id++ {
		a := pick(r, g.st.accounts)
		status := pick(r, []string{"SIGNED", "SIGNED", "SIGNED", "PENDING_APPROVAL", "PENDING_APPROVAL", "APPROVED", "ABORTED", "PENDING_CREATE_IN_HSM"})
		d := &Digest{ID: id, AccountID: a.ID, Status: status, Notes: []Note{},
			CreatedBy: pick(r, g.operators), CreatedOn: digestTime(id)}
		for range 1 + r.IntN(3) {
			dd := DigestData{DerivationPath: *a.DerivationPath + "/0/0", Digest: randHex(r, 64)}
			if status == "SIGNED" {
				dd.PubKey = "02" + randHex(r, 64)
				dd.Signature = &DigestSignature{R: randHex(r, 64), S: randHex(r, 64), V: ptr(r.IntN(2))}
			}
			d.DigestsData = append(d.DigestsData, dd)
		}
		g.st.digests = append(g.st.digests, d)
		appendIndex(g.st.digestsByAccount, a.ID, id)
	}
}

func (g *gen) messages() {
	r := newRand(g.cfg.Seed, "messages")
	n := g.cfg.Messages
	var evm []*Account
	for _, a := range g.st.accounts {
		if accountCoin(a).evm {
			evm = append(evm, a)
		}
	}
	if len(evm) == 0 {
		evm = g.st.accounts
	}
	if len(evm) == 0 {
		n = 0
	}
	g.st.messages = make([]*Message, 0, n)
	for id := 1; id <= n; id++ {
		a := pick(r, evm)
		status := pick(r, []string{"SIGNED", "SIGNED", "SIGNED", "PENDING_APPROVAL", "APPROVED", "ABORTED"})
		m := &Message{ID: id, AccountID: a.ID, Status: status, Type: "MESSAGE_SIGNATURE", Address: a.Address,
			Notes: []Note{}, CreatedBy: pick(r, g.operators), CreatedOn: messageTime(id)}
		if r.IntN(3) == 0 {
			m.MessageType = "EIP-712"
			m.Data = fmt.Sprintf(`{"types":{"EIP712Domain":[]},"primaryType":"Order","domain":{"name":"Exchange"},"message":{"nonce":%d}}`, r.IntN(1_000_000))
		} else {
			m.MessageType = "EIP-191"
			m.Data = fmt.Sprintf("Sign in to Exchange, nonce %s", randHex(r, 16))
		}
		if status == "SIGNED" {
			m.Signature = ptr("0x" + randHex(r, 130))
		}
		g.st.messages = append(g.st.messages, m)
		appendIndex(g.st.messagesByAccount, a.ID, id)
	}
}
