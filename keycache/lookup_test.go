package keycache

import (
	"context"
	"crypto/sha256"
	"testing"

	"reportgate/registry"
)

// store answers KeyByHash from a map, as the registry would.
type store map[[32]byte]registry.Key

func (s store) KeyByHash(_ context.Context, h [32]byte) (registry.Key, error) {
	k, ok := s[h]
	if !ok {
		return registry.Key{}, registry.ErrNotFound
	}
	return k, nil
}

// TestRegistryLookupCarriesTheBinding: the principal the proxy checks
// carries the key's client certificate, or none.
func TestRegistryLookupCarriesTheBinding(t *testing.T) {
	t.Parallel()
	fp := registry.CertFingerprint(sha256.Sum256([]byte("partner certificate")))
	bound, free := sha256.Sum256([]byte("bound")), sha256.Sum256([]byte("free"))
	lookup := RegistryLookup(store{
		bound: {ID: "key_bound", Status: registry.StatusActive, Entities: []int64{1}, ClientCert: fp},
		free:  {ID: "key_free", Status: registry.StatusActive, Entities: []int64{1}},
	}, 0)
	for _, tc := range []struct {
		hash [32]byte
		want registry.CertFingerprint
	}{{bound, fp}, {free, registry.CertFingerprint{}}} {
		p, found, err := lookup(context.Background(), tc.hash)
		if err != nil || !found || p.ClientCert != tc.want {
			t.Errorf("%s: bound to %x (found %v, %v), want %x", p.ID, p.ClientCert, found, err, tc.want)
		}
	}
}
