package redistest

import (
	"testing"
	"time"
)

// TestClusterFailovers: the cluster starts with every range served; a
// graceful CLUSTER FAILOVER swaps a master with its replica, and a kill -9
// of a master has its replica elected within a few node timeouts.
func TestClusterFailovers(t *testing.T) {
	t.Parallel()
	c := StartCluster(t)
	slot := c.Slot("{acme}")
	old, promoted, _ := c.Failover(slot)
	if promoted == old {
		t.Fatalf("CLUSTER FAILOVER kept master %s", old)
	}
	master, _ := c.MasterOf(slot)
	killed := c.Kill(master)
	elected, at := c.WaitNewMaster(slot, master, 15*time.Second)
	if elected == master {
		t.Fatalf("slot %d still on the killed master %s", slot, master)
	}
	t.Logf("kill -9 of %s → %s elected after %v", master, elected, at.Sub(killed).Round(time.Millisecond))
	c.Restart(master)
	c.WaitSettled(20 * time.Second)
}
