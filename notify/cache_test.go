package notify

import (
	"fmt"
	"testing"

	"reportgate/registry"
)

func TestCacheEffect(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		payload string
		want    string
	}{
		{"TRANSACTION", "[/transactions/7 /transactions]"},
		{"REQUEST", "[/requests/7 /requests]"},
		{"USER", "[/users/7 /users]"},
		{"ENTITY", "[]"}, // a scope change: every replica drops every cached answer
		{"BITCOIN_ACCOUNT", "[]"},
		{"GROUP", "[]"},
	} {
		got := CacheEffect(registry.NotifyEvent{PayloadType: tt.payload, EventType: "X", ID: 7})
		if fmt.Sprint(got) != tt.want {
			t.Errorf("CacheEffect(%s) = %v, want %s", tt.payload, got, tt.want)
		}
	}
}
