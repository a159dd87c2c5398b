package ledgersim_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"reportgate/internal/ledgersim"
)

// The spec bounds none of these ranges and documents no 400 on these
// operations; the simulator once answered 400 beyond 366 days or 100
// cycles (issue 17). Now a range gives what exists in it: nothing before
// the object existed or after now, nothing when it is inverted.

var rangesNow = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)

func rangesSim(t *testing.T) (*ledgersim.Server, ledgersim.Dataset) {
	t.Helper()
	s := start(t, func(c *ledgersim.Config) { c.Now = func() time.Time { return rangesNow } })
	return s, s.Dataset()
}

func firstOfType(t *testing.T, ds ledgersim.Dataset, typ string) ledgersim.Account {
	t.Helper()
	for _, a := range ds.Accounts {
		if a.Type == typ && a.Parent == nil {
			return a
		}
	}
	t.Fatalf("no %s account in the data set", typ)
	return ledgersim.Account{}
}

func TestBalancesHistoryHasNoSpanLimit(t *testing.T) {
	t.Parallel()
	s, ds := rangesSim(t)
	a := ds.Accounts[0]
	created := a.CreatedOn.UTC().Truncate(24 * time.Hour)
	wantDays := int(rangesNow.Sub(created)/(24*time.Hour)) + 1
	for _, tc := range []struct {
		name, query string
		want        int
		first       time.Time
	}{
		{"two years, from before the account", "start=2023-01-01T00:00:00Z&end=2025-07-01T00:00:00Z", wantDays, created},
		{"to the future", "start=2024-06-01T00:00:00Z&end=2099-01-01T00:00:00Z", int(rangesNow.Sub(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))/(24*time.Hour)) + 1, time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)},
		{"inverted", "start=2025-01-01T00:00:00Z&end=2024-01-01T00:00:00Z", 0, time.Time{}},
	} {
		var h struct {
			Balances []struct{ Date time.Time } `json:"balances"`
		}
		getJSON(t, s, fmt.Sprintf("/accounts/%d/balances/history?%s", a.ID, tc.query), &h)
		if len(h.Balances) != tc.want {
			t.Errorf("%s: %d points, want %d", tc.name, len(h.Balances), tc.want)
		}
		if len(h.Balances) > 0 && !h.Balances[0].Date.Equal(tc.first) {
			t.Errorf("%s: first point %s, want %s", tc.name, h.Balances[0].Date, tc.first)
		}
	}
}

func TestTezosRewardsHaveNoCycleLimit(t *testing.T) {
	t.Parallel()
	s, ds := rangesSim(t)
	a := firstOfType(t, ds, "Tezos")
	lastCompleted := 700 + int(rangesNow.Sub(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))/(72*time.Hour)) - 1
	var wide, all, inverted []struct {
		StakeUID string `json:"stake_uid"`
		Info     struct{ Cycle int }
	}
	getJSON(t, s, fmt.Sprintf("/tezos/accounts/%d/rewards?start_cycle=0&end_cycle=100000", a.ID), &wide)
	getJSON(t, s, fmt.Sprintf("/tezos/accounts/%d/rewards", a.ID), &all)
	getJSON(t, s, fmt.Sprintf("/tezos/accounts/%d/rewards?start_cycle=800&end_cycle=790", a.ID), &inverted)
	if len(wide) <= 100 || len(wide) != len(all) {
		t.Errorf("cycles 0 to 100000: %d rewards, no bounds: %d; want the same, over 100", len(wide), len(all))
	}
	for _, r := range wide {
		if r.Info.Cycle > lastCompleted {
			t.Errorf("reward for cycle %d, after the last completed one (%d)", r.Info.Cycle, lastCompleted)
		}
	}
	if len(inverted) != 0 {
		t.Errorf("inverted range: %d rewards, want none", len(inverted))
	}
}

func TestEthereumStakeRewardsHaveNoSpanLimit(t *testing.T) {
	t.Parallel()
	s, ds := rangesSim(t)
	var path string
	for _, a := range ds.Accounts {
		var stakes []struct{ UID string }
		if a.Type == "Ethereum" && a.Parent == nil {
			getJSON(t, s, fmt.Sprintf("/ethereum/accounts/%d/stakes", a.ID), &stakes)
		}
		if len(stakes) > 0 {
			path = fmt.Sprintf("/ethereum/accounts/%d/stakes/%s/rewards", a.ID, stakes[0].UID)
			break
		}
	}
	if path == "" {
		t.Fatal("no Ethereum stake in the data set")
	}
	var rewards []struct {
		CreatedOn time.Time `json:"created_on"`
	}
	getJSON(t, s, path+"?start_date=2020-01-01&end_date=2030-01-01", &rewards)
	if len(rewards) <= 366 {
		t.Errorf("ten years: %d daily rewards, want the stake's whole life (over 366 days)", len(rewards))
	}
	if last := rewards[len(rewards)-1].CreatedOn; last.After(rangesNow) {
		t.Errorf("a reward dated %s, after now", last)
	}
	if status, body := do(t, s, http.MethodGet, path+"?start_date=2025-01-02&end_date=2025-01-01", nil); status != http.StatusOK || string(body) != "[]\n" {
		t.Errorf("inverted range = %d %s, want 200 []", status, body)
	}
}
