package ledgersim_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"reportgate/internal/ledgersim"
)

func TestErrorRateInjects5xx(t *testing.T) {
	t.Parallel()
	s := start(t, func(c *ledgersim.Config) { c.ErrorRate = 1 })
	for range 10 {
		status, body := do(t, s, http.MethodGet, "/entities/1", nil)
		e := decodeError(t, body)
		if !slices.Contains([]int{500, 502, 503}, status) || e.StatusCode != status {
			t.Fatalf("with error rate 1: %d %+v, want a 500, 502 or 503 Error body", status, e)
		}
	}
	if status, _ := do(t, s, http.MethodGet, "/_sim/faults", nil); status != http.StatusOK {
		t.Fatalf("/_sim/ is subject to faults: %d", status)
	}
	post(t, s, http.MethodPut, "/_sim/faults", map[string]any{"error_rate": 0.25}, http.StatusOK, nil)
	failed := 0
	for range 200 {
		if status, _ := do(t, s, http.MethodGet, "/entities/1", nil); status >= 500 {
			failed++
		}
	}
	if failed < 25 || failed > 75 {
		t.Fatalf("error rate 0.25: %d of 200 failed, want about 50", failed)
	}
}

func TestErrorsAreSeeded(t *testing.T) {
	t.Parallel()
	run := func() []int {
		s := start(t, func(c *ledgersim.Config) { c.ErrorRate = 0.5 })
		var statuses []int
		for range 30 {
			status, _ := do(t, s, http.MethodGet, "/entities/1", nil)
			statuses = append(statuses, status)
		}
		return statuses
	}
	if a, b := run(), run(); !slices.Equal(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
}

func TestLatencyIsAdded(t *testing.T) {
	t.Parallel()
	const latency = 80 * time.Millisecond
	s := start(t, func(c *ledgersim.Config) { c.Latency = latency })
	began := time.Now()
	do(t, s, http.MethodGet, "/entities/1", nil)
	if elapsed := time.Since(began); elapsed < latency {
		t.Fatalf("request took %s, want at least the %s latency", elapsed, latency)
	}
	if err := s.SetFaults(ledgersim.Faults{}); err != nil {
		t.Fatal(err)
	}
	var f ledgersim.Faults
	getJSON(t, s, "/_sim/faults", &f)
	if f != (ledgersim.Faults{}) {
		t.Fatalf("faults after SetFaults(zero) = %+v", f)
	}
}

func TestLeakyModeIgnoresScopeFilters(t *testing.T) {
	t.Parallel()
	honest := start(t)
	leaky := start(t, func(c *ledgersim.Config) { c.Leaky = true })
	d := honest.Dataset()
	parent := firstParent(d)
	sm := findSamples(t, honest)
	tests := []string{
		"/accounts?entity=1",
		"/accounts?entity=1&entity=2&id=3",
		"/transactions?account=1",
		"/users?account=1",
		"/whitelists?account=1",
		"/entities?account=1",
		"/groups?members=4",
		"/requests?target_type=ACCOUNT&target_id=1",
		"/digests?account=1",
		"/messages?account=" + fmt.Sprint(d.Messages[0].AccountID),
		fmt.Sprintf("/accounts/%d/erc20-children-accounts", parent),
		fmt.Sprintf("/cardano/accounts/%d/stakes", sm.staking["cardano"]),
		fmt.Sprintf("/accounts/%d/nfts", nftAccount(t, honest)),
	}
	for _, path := range tests {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			var h, l page
			getJSON(t, honest, path, &h)
			getJSON(t, leaky, path, &l)
			if l.PageInfo.Count <= h.PageInfo.Count {
				t.Fatalf("leaky count %d, honest %d; want leaky to return out-of-filter objects", l.PageInfo.Count, h.PageInfo.Count)
			}
		})
	}
	var nfts page
	getJSON(t, leaky, fmt.Sprintf("/accounts/%d/nfts", nftAccount(t, honest)), &nfts)
	if nfts.PageInfo.Count <= 10 || len(nfts.Edges) != 10 {
		t.Errorf("leaky NFTs: count %d, %d edges; want more than 10, and NFT lists' default page of 10", nfts.PageInfo.Count, len(nfts.Edges))
	}
	var ethStakes []struct {
		AccountID int `json:"account_id"`
	}
	getJSON(t, leaky, fmt.Sprintf("/ethereum/accounts/%d/stakes", sm.staking["ethereum"]), &ethStakes)
	if !slices.ContainsFunc(ethStakes, func(s struct {
		AccountID int `json:"account_id"`
	}) bool {
		return s.AccountID != sm.staking["ethereum"]
	}) {
		t.Errorf("leaky ethereum stakes of %d include no other account's", sm.staking["ethereum"])
	}
}

// nftAccount finds an account with a few NFTs (leaky mode then adds the
// others').
func nftAccount(t *testing.T, s *ledgersim.Server) int {
	for _, a := range s.Dataset().Accounts {
		var p page
		getJSON(t, s, fmt.Sprintf("/accounts/%d/nfts", a.ID), &p)
		if p.PageInfo.Count > 0 {
			return a.ID
		}
	}
	t.Fatal("no account has NFTs")
	return 0
}

// TestLeakyModeKeepsTheSourcesOfTruth: the gateway resolves scopes from
// /entities/{id} and account governance; leaky mode must not alter them.
func TestLeakyModeKeepsTheSourcesOfTruth(t *testing.T) {
	t.Parallel()
	honest := start(t)
	leaky := start(t)
	if err := leaky.SetFaults(ledgersim.Faults{Leaky: true}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/entities/1", "/entities/2", "/accounts/1", "/accounts/3", "/entities/1/users"} {
		_, h := do(t, honest, http.MethodGet, path, nil)
		_, l := do(t, leaky, http.MethodGet, path, nil)
		if !bytes.Equal(h, l) {
			t.Errorf("GET %s differs in leaky mode", path)
		}
	}
	_, h := do(t, honest, http.MethodGet, "/accounts?entity=1", nil)
	_, l := do(t, leaky, http.MethodGet, "/accounts?entity=1", nil)
	if bytes.Equal(h, l) {
		t.Error("SetFaults(Leaky) did not take effect at run time")
	}
}
