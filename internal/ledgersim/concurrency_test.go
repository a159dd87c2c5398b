package ledgersim_test

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"reportgate/internal/ledgersim"
)

// TestReadsDuringChanges runs lists while the data changes; with -race it
// checks that readers never see an object being changed.
func TestReadsDuringChanges(t *testing.T) {
	t.Parallel()
	s := start(t)
	stop := make(chan struct{})
	changed := make(chan error, 1)
	go func() { changed <- keepChanging(s, stop) }()
	var wg sync.WaitGroup
	for _, path := range []string{"/accounts?entity=1", "/transactions?account=3", "/users?account=1", "/entities", "/_sim/dataset", "/requests?target_type=ACCOUNT"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				if status := get(s, path); status != http.StatusOK {
					t.Errorf("GET %s = %d during changes, want 200", path, status)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := <-changed; err != nil {
		t.Fatal(err)
	}
}

// get is a GET safe to call from any goroutine; 0 means no answer.
func get(s *ledgersim.Server, path string) int {
	req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	req.Header.Set(ledgersim.HeaderAPIUser, ledgersim.DefaultAPIUser)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// keepChanging applies every kind of change in turn until stop.
func keepChanging(s *ledgersim.Server, stop <-chan struct{}) error {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		var err error
		switch i % 6 {
		case 0:
			if _, err = s.MoveAccount(1+i%10, i%3); errors.Is(err, ledgersim.ErrInvalid) {
				err = nil // an ERC-20 child cannot move alone
			}
		case 1:
			_, err = s.AddTransaction(ledgersim.NewTransaction{AccountID: 3, Type: "SEND"})
		case 2:
			_, err = s.SetGroupMembers(1, []int{4 + i%5})
		case 3:
			_, err = s.AddRequest(ledgersim.NewRequest{TargetType: "ACCOUNT", TargetID: 1, Type: "EDIT_ACCOUNT"})
		case 4:
			_, err = s.AddAccount(ledgersim.NewAccount{Entity: 1, Currency: "solana"})
		case 5:
			if i%60 == 5 {
				s.Reset()
			}
		}
		if err != nil {
			return err
		}
	}
}
