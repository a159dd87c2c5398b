// Package redistest starts real Redis servers on free loopback ports for a
// test and kills them when the test ends (t.Cleanup; each process has its
// own temporary directory). It exists so that registry, proxy and admin tests
// run against Redis itself rather than a mock, and so that failover tests
// run against real Sentinel and Cluster set-ups:
//
//   - Start: one redis-server; StartReplica: a replica of it (in sync when
//     it returns); Stop, Restart, Pause and Resume (SIGSTOP, SIGCONT).
//   - StartSentinel: one master, one replica, three sentinels (quorum 2),
//     settled in about 60 ms; Failover (SENTINEL FAILOVER), KillMaster
//     (kill -9), WaitNewMaster, WaitSettled.
//   - StartCluster: three masters and three replicas, formed with CLUSTER
//     ADDSLOTSRANGE, MEET and REPLICATE; ready in about 2 s (a master turns
//     writable 2 s after it starts, a fixed delay of Redis). Failover
//     (CLUSTER FAILOVER), Kill (kill -9), Restart, WaitNewMaster,
//     WaitSettled.
//
// Waits poll a condition until a deadline; none sleeps blindly. Persistence
// is off everywhere. Sentinels run as `redis-server <conf> --sentinel` (the
// same binary as Debian's redis-sentinel), so everything needs only the
// redis-server binary (Debian package redis-server); `make test` installs it
// when missing. Without it, every Start* fails the test with a message naming
// the install command. It must never be imported by non-test code.
package redistest
