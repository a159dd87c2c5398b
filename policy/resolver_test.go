package policy_test

import (
	"context"
	"net/url"
	"testing"

	"reportgate/internal/ledgersim"
	"reportgate/internal/ledgersim/simtest"
	"reportgate/policy"
	"reportgate/upstream"
)

// TestKeysWithTheSameEntitiesShareAScope: the scope cache holds one Scope
// per entity set, however many keys are bound to it, and an entity's
// invalidation rebuilds every set that holds it.
func TestKeysWithTheSameEntitiesShareAScope(t *testing.T) {
	sim := simtest.Start(t, ledgersim.DefaultConfig())
	u, err := url.Parse(sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	up, err := upstream.New(upstream.Options{URL: u, APIUser: ledgersim.DefaultAPIUser})
	if err != nil {
		t.Fatal(err)
	}
	r, err := policy.NewResolver(up, policy.Table(), policy.ResolverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	scope := func(entities ...int64) *policy.Scope {
		t.Helper()
		s, err := r.Scope(ctx, entities)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	one, again := scope(1), scope(1)
	if one != again {
		t.Error("two lookups of entity set [1] built two scopes")
	}
	two, both := scope(2), scope(1, 2)
	if two == one || both == one || both == two {
		t.Fatal("different entity sets share a scope")
	}
	for _, e := range sim.Dataset().Entities {
		if e.ID != 1 && e.ID != 2 {
			continue
		}
		for _, a := range e.Accounts {
			in1, in2 := one.Accounts.Has(int64(a)), two.Accounts.Has(int64(a))
			if in1 != (e.ID == 1) || in2 != (e.ID == 2) || !both.Accounts.Has(int64(a)) {
				t.Errorf("account %d of entity %d: in [1] %v, in [2] %v", a, e.ID, in1, in2)
			}
		}
	}
	r.InvalidateEntity(2)
	if scope(1) != one {
		t.Error("invalidating entity 2 rebuilt the scope of [1]")
	}
	if scope(2) == two || scope(1, 2) == both {
		t.Error("invalidating entity 2 kept a scope built from its snapshot")
	}
}
