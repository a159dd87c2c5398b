package ledgersim_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"reportgate/internal/ledgersim"
)

// benchmarkGET serves path from a simulator with 40 000 transactions.
func benchmarkGET(b *testing.B, path string) {
	cfg := ledgersim.DefaultConfig()
	cfg.Accounts, cfg.Transactions = 400, 40_000
	s, err := ledgersim.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set(ledgersim.HeaderAPIUser, ledgersim.DefaultAPIUser)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", path, w.Code)
		}
	}
}

func BenchmarkAccountsOfTwoEntities(b *testing.B) {
	benchmarkGET(b, "/accounts?entity=1&entity=2&page_size=5")
}

func BenchmarkTransactionsNewestFirst(b *testing.B) { benchmarkGET(b, "/transactions") }

func BenchmarkTransactionsOfAnAccount(b *testing.B) { benchmarkGET(b, "/transactions?account=7") }
