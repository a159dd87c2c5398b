package ledgersim

import (
	"fmt"
	"slices"
	"time"
)

// stakingAccount returns the path's account if it is a top-level account
// of the staking family, else the spec's 404.
func (c *call) stakingAccount(family string) (*Account, error) {
	id, _ := c.pathInt("account_id")
	a := byID(c.st.accounts, id)
	if a == nil || a.Parent != nil || accountCoin(a).staking != family {
		return nil, notFoundMsg("Account or Stake not found")
	}
	return a, nil
}

// stakesOf returns a's stakes; for a list in leaky mode, the whole
// family's.
func (c *call) stakesOf(a *Account, family string, isList bool) []*stake {
	var out []*stake
	if isList && c.leaky {
		for _, s := range c.st.stakes {
			if s.family == family {
				out = append(out, s)
			}
		}
		return out
	}
	for _, i := range c.st.stakesByAccount[a.ID] {
		out = append(out, c.st.stakes[i])
	}
	return out
}

// stakeByUID finds one of a's stakes.
func (c *call) stakeByUID(a *Account) (*stake, error) {
	uid := c.r.PathValue("stake_uid")
	for _, s := range c.stakesOf(a, "", false) {
		if s.uid == uid {
			return s, nil
		}
	}
	return nil, notFoundMsg("Account or Stake not found")
}

// listStakes serves the paginated stake searches (Cardano, Solana, Tezos).
func listStakes(family string) handler {
	return func(c *call) (any, error) {
		a, err := c.stakingAccount(family)
		if err != nil {
			return nil, err
		}
		light := c.q.boolean("light", true)
		return listAs(c, c.stakesOf(a, family, true), stakeFilters(c.q), func(s *stake) any { return c.renderStake(s, light) })
	}
}

func stakeFilters(q query) []func(*stake) bool {
	var ps []func(*stake) bool
	if id, ok := q.int("account_id"); ok {
		ps = append(ps, func(s *stake) bool { return s.accountID == id })
	}
	if id, ok := q.int("creation_tx"); ok {
		ps = append(ps, func(s *stake) bool { return s.creationTx == id })
	}
	if uids := q.strs("stake_uid"); len(uids) > 0 {
		ps = append(ps, func(s *stake) bool { return slices.Contains(uids, s.uid) })
	}
	if statuses := q.strs("status"); len(statuses) > 0 {
		ps = append(ps, func(s *stake) bool { return slices.Contains(statuses, s.status) })
	}
	return ps
}

// renderStake is the spec's _CardanoStake, _SolanaStake or _TezosStake:
// light, its creator and creation transaction are ids; deep, the objects
// (so the creation transaction's account_id shows whose stake it is).
func (c *call) renderStake(s *stake, light bool) any {
	m := map[string]any{
		"id": s.id, "stake_uid": s.uid, "status": s.status, "amount": s.amount, "validator": s.validator,
		"total_reward": s.totalReward, "created_on": s.createdOn.Format(time.RFC3339), "last_request": nil,
		"created_by": s.createdBy, "creation_tx": s.creationTx, "blockchain_state": c.blockchainState(s),
	}
	if !light {
		m["created_by"] = byID(c.st.users, s.createdBy)
		m["creation_tx"] = byID(c.st.transactions, s.creationTx)
	}
	return m
}

func (c *call) blockchainState(s *stake) map[string]any {
	r := newRand(c.s.cfg.Seed, "stake-state", s.id)
	since := s.createdOn.Add(time.Hour).Format(time.RFC3339)
	switch s.family {
	case "cardano":
		return map[string]any{"balances": map[string]any{}, "block_number": 9_000_000 + r.IntN(1_000_000),
			"date": since, "drep_delegation": nil, "epoch": 450 + r.IntN(100),
			"pool_id": "pool1" + randString(r, bech32Digits, 51), "stake_address": "stake1u" + randString(r, bech32Digits, 52)}
	case "solana":
		return map[string]any{"activation_date": since, "activation_epoch": 500 + r.IntN(200), "active_balance": s.amount,
			"deactivation_date": nil, "deactivation_epoch": nil, "inactive_balance": "0", "pub_key": randAddress(r, "solana"),
			"rent_exempt_reserve": "2282880", "status": "activated", "total_balance": s.amount,
			"validator_address": s.validator, "withdrawable_balance": "0"}
	case "tezos":
		return map[string]any{"activated_at": since, "activated_cycle": tezosCycleAt(s.createdOn) + 1, "active_balance": s.amount,
			"baker_address": s.validator, "delegated_at": since, "delegated_block": randString(r, base58Digits, 51),
			"delegated_cycle": tezosCycleAt(s.createdOn), "gross_apy": "5.4", "rewards": s.totalReward, "state": "active", "updated_at": since}
	}
	return map[string]any{"delegated_at": since, "state": "active_ongoing", "validator_address": "0x" + randHex(r, 96),
		"balance": s.amount, "effective_balance": "32000000000000000000", "gross_apy": 3.1}
}

// stakeRewards: every stake's rewards (or one stake's), three a stake,
// thirty days apart (Cardano and Solana).
func stakeRewards(family string, oneStake bool) handler {
	return func(c *call) (any, error) {
		a, err := c.stakingAccount(family)
		if err != nil {
			return nil, err
		}
		stakes := c.stakesOf(a, family, false)
		if oneStake {
			s, err := c.stakeByUID(a)
			if err != nil {
				return nil, err
			}
			stakes = []*stake{s}
		}
		out := []map[string]any{}
		for _, s := range stakes {
			for k := range 3 {
				out = append(out, map[string]any{"amount": fmt.Sprint(1000 * (k + 1)), "stake_uid": s.uid,
					"created_on": s.createdOn.Add(time.Duration(k+1) * 30 * day).Format(time.RFC3339),
					"info":       rewardInfo(family, s, k)})
			}
		}
		return out, nil
	}
}

func rewardInfo(family string, s *stake, k int) map[string]any {
	if family == "cardano" {
		return map[string]any{"accumulated": fmt.Sprint(1000 * (k + 1) * (k + 2) / 2),
			"earned_in": fmt.Sprint(480 + 6*k), "received_in": fmt.Sprint(482 + 6*k)}
	}
	return map[string]any{"date": s.createdOn.Add(time.Duration(k+1) * 30 * day).Format(time.RFC3339),
		"effective_slot": fmt.Sprint(250_000_000 + 1_000_000*k), "epoch": fmt.Sprint(600 + 15*k), "post_balance": s.amount}
}

func periodicRewards(family string) handler {
	return func(c *call) (any, error) {
		a, err := c.stakingAccount(family)
		if err != nil {
			return nil, err
		}
		n := len(c.stakesOf(a, family, false))
		return []map[string]string{{"last7": fmt.Sprint(70 * n), "last30": fmt.Sprint(300 * n), "total": fmt.Sprint(6000 * n)}}, nil
	}
}

// ethereumStakes is a bare array of _EthereumBlockchainStake; leaky mode
// adds every Ethereum account's stakes.
func ethereumStakes(c *call) (any, error) {
	a, err := c.stakingAccount("ethereum")
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, s := range c.stakesOf(a, "ethereum", true) {
		owner := c.st.accounts[s.accountID-1]
		out = append(out, map[string]any{"account_id": s.accountID, "account_name": owner.Name, "uid": s.uid,
			"blockchain_state": c.blockchainState(s), "created_on": s.createdOn.Format(time.RFC3339),
			"currency": owner.Currency, "status": s.status, "total_reward": s.totalReward})
	}
	return out, nil
}

func ethereumRewardInfo(s *stake) map[string]any {
	return map[string]any{"cl_apy": 2.9, "el_apy": 0.6, "gross_apy": 3.5, "consensus_rewards": "2100000000000000",
		"execution_rewards": "400000000000000", "stake_balance": s.amount}
}

// ethereumAccountRewards: five daily rewards a stake.
func ethereumAccountRewards(c *call) (any, error) {
	a, err := c.stakingAccount("ethereum")
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, s := range c.stakesOf(a, "ethereum", false) {
		for k := range 5 {
			out = append(out, map[string]any{"amount": "2500000000000000", "info": ethereumRewardInfo(s),
				"created_on": s.createdOn.Add(time.Duration(k+1) * day).Format(time.RFC3339)})
		}
	}
	return out, nil
}

// ethereumStakeRewards: a stake's daily rewards from start_date to
// end_date (default: the last seven days). The spec sets no bound on the
// span and documents no 400 here, so there is none: a stake earns nothing
// before it was created or after today, and a start after the end gives no
// rewards.
func ethereumStakeRewards(c *call) (any, error) {
	a, err := c.stakingAccount("ethereum")
	if err != nil {
		return nil, err
	}
	s, err := c.stakeByUID(a)
	if err != nil {
		return nil, err
	}
	today := c.now.UTC().Truncate(day)
	end, ok := c.q.date("end_date")
	if !ok {
		end = today
	}
	start, ok := c.q.date("start_date")
	if !ok {
		start = end.Add(-7 * day)
	}
	out := []map[string]any{}
	last := earlier(end, today)
	for t := later(start, s.createdOn.UTC().Truncate(day).Add(day)); !t.After(last); t = t.Add(day) {
		out = append(out, map[string]any{"amount": "2500000000000000", "created_on": t.Format(time.RFC3339),
			"info": ethereumRewardInfo(s), "stake_uid": s.uid})
	}
	return out, nil
}

// Tezos cycles in the simulated world: cycle tezosCycleZero began at
// baseTime, and each lasts tezosCycle.
const (
	tezosCycleZero = 700
	tezosCycle     = 3 * day
)

func tezosCycleAt(t time.Time) int { return tezosCycleZero + int(t.Sub(baseTime)/tezosCycle) }

func tezosCycleBegins(cycle int) time.Time {
	return baseTime.Add(time.Duration(cycle-tezosCycleZero) * tezosCycle)
}

// tezosRewards: each stake's rewards per completed cycle from start_cycle
// to end_cycle (default, as the spec's null: no bound). The spec sets no
// bound on the span and documents no 400 here, so there is none: a stake
// earns from the cycle after its delegation to the last completed cycle,
// and a start after the end gives no rewards.
func tezosRewards(c *call) (any, error) {
	a, err := c.stakingAccount("tezos")
	if err != nil {
		return nil, err
	}
	from, hasFrom := c.q.int("start_cycle")
	to, hasTo := c.q.int("end_cycle")
	out := []map[string]any{}
	for _, s := range c.stakesOf(a, "tezos", false) {
		first, last := tezosCycleAt(s.createdOn)+1, tezosCycleAt(c.now)-1
		if hasFrom {
			first = max(first, from)
		}
		if hasTo {
			last = min(last, to)
		}
		for cycle := first; cycle <= last; cycle++ {
			begins := tezosCycleBegins(cycle).Format(time.RFC3339)
			out = append(out, map[string]any{"amount": "1250000", "created_on": begins, "stake_uid": s.uid,
				"info": map[string]any{"active_balance": s.amount, "cycle": cycle, "cycle_begins_at": begins,
					"gross_apy": "5.4", "rewards": "1250000"}})
		}
	}
	return out, nil
}
