package redistest

import (
	"testing"
	"time"
)

// TestSentinelFailover: the set-up starts settled, SENTINEL FAILOVER moves
// the master to the replica, and the demoted master comes back as a replica
// of the new one.
func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	s := StartSentinel(t)
	old, promoted, switched := s.Failover()
	if promoted == old {
		t.Fatalf("failover kept master %s", old)
	}
	if role, err := s.Role(promoted); err != nil || role != "master" {
		t.Fatalf("ROLE on the promoted node = %q, %v; want master", role, err)
	}
	s.WaitSettled(30 * time.Second)
	t.Logf("the demoted master resynced as a replica %v after the switch", time.Since(switched).Round(time.Millisecond))
	if role, err := s.Role(old); err != nil || role != "slave" {
		t.Fatalf("ROLE on the demoted node = %q, %v; want slave", role, err)
	}
}
