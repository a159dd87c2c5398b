package policy

import (
	"context"
	"errors"
	"testing"
)

// noUpstream fails every read: the Global route below needs none.
type noUpstream struct{}

func (noUpstream) Fetch(context.Context, string) (int, []byte, error) {
	return 0, nil, errors.New("no upstream in this test")
}

type noLocal struct{}

func (noLocal) ServeLocal(context.Context, string, string, []byte) (int, []byte) { return 404, nil }

// Regression (issue 16.6): Verify passed every status but 200 and a hidden
// 404, so a forwarded 500 or 503 reached the partner with the upstream's
// body. A 5xx never passes; a 4xx still does.
func TestVerifyNeverPassesA5xx(t *testing.T) {
	t.Parallel()
	e, err := New(Config{Upstream: noUpstream{}, Local: noLocal{}})
	if err != nil {
		t.Fatal(err)
	}
	var r Request
	if err := e.Match([]byte("GET"), []byte("/currencies"), nil, &r); err != nil {
		t.Fatal(err)
	}
	if d := e.Decide(context.Background(), Caller{KeyID: "k"}, &r, []byte("GET"), nil, nil); d.Kind != Forward {
		t.Fatalf("Decide(/currencies) = %+v, want Forward", d)
	}
	for _, status := range []int{500, 502, 503, 504, 599} {
		err := e.Verify(context.Background(), &r, status, nil, []byte(`{"message":"boom"}`))
		if ue, ok := errors.AsType[*UpstreamError](err); !ok || ue.Status != status {
			t.Errorf("Verify(%d) = %v, want an UpstreamError %d", status, err, status)
		}
	}
	for _, status := range []int{400, 401, 404, 420} {
		if err := e.Verify(context.Background(), &r, status, nil, []byte(`{"message":"no"}`)); err != nil {
			t.Errorf("Verify(%d) = %v, want it passed on", status, err)
		}
	}
}
