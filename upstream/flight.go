package upstream

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// flightShards spread the lock of the exchanges in flight.
const flightShards = 16

// flights are the upstream reads in flight, by key: a request identical to
// one in flight waits for its answer instead of sending its own (request
// coalescing, like nginx's proxy_cache_lock or Go's singleflight, but
// allocation-free for a read nobody joins: flights are pooled and the
// answer is copied out only when someone did). Safe for concurrent use.
type flights struct {
	shards [flightShards]struct {
		mu sync.Mutex
		m  map[uint64]*flight
	}
	pool sync.Pool
}

// outcome is how a flight ended, for those who joined it.
type outcome uint8

const (
	// shared: ans or err is the answer.
	shared outcome = iota
	// alone: the answer was not for sharing (a cookie, private) or the
	// leader was refused by the budget: each follower sends its own.
	alone
)

// flight is one exchange in flight and those waiting for it.
type flight struct {
	key []byte
	// epoch is Shared.epoch when the leader sent the request: a read after
	// a purge does not join an exchange sent before it.
	epoch uint64
	done  sync.WaitGroup
	refs  atomic.Int32
	// joined counts the followers; closed is set once the leader stopped
	// taking them. Both under the shard's lock.
	joined int
	closed bool
	// Set by the leader before done.Done.
	outcome outcome
	ans     *answer
	err     error
}

func newFlights() *flights {
	f := &flights{}
	for i := range f.shards {
		f.shards[i].m = map[uint64]*flight{}
	}
	f.pool.New = func() any { return new(flight) }
	return f
}

// join returns the flight of key (hash h) and whether the caller leads
// it: a leader sends the request and calls land; a follower calls wait. A
// nil flight with lead true means the caller goes alone, outside the
// table (another read has the same hash, or the flight is landing).
func (fs *flights) join(h uint64, key []byte, epoch uint64) (f *flight, lead bool) {
	s := &fs.shards[h%flightShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if f = s.m[h]; f != nil {
		if f.closed || f.epoch != epoch || !bytes.Equal(f.key, key) {
			return nil, true
		}
		f.joined++
		f.refs.Add(1)
		return f, false
	}
	f = fs.pool.Get().(*flight)
	f.key, f.epoch = append(f.key[:0], key...), epoch
	f.joined, f.closed, f.outcome, f.ans, f.err = 0, false, shared, nil, nil
	f.refs.Store(1)
	f.done.Add(1)
	s.m[h] = f
	return f, true
}

// close stops f taking followers and says how many joined.
func (fs *flights) close(h uint64, f *flight) int {
	s := &fs.shards[h%flightShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, h)
	f.closed = true
	return f.joined
}

// land publishes the leader's outcome to the followers and lets go of f.
func (fs *flights) land(f *flight, o outcome, ans *answer, err error) {
	f.outcome, f.ans, f.err = o, ans, err
	f.done.Done()
	fs.release(f)
}

// wait blocks until the leader landed and returns the outcome; the caller
// then lets go of f with release.
func (f *flight) wait() (outcome, *answer, error) {
	f.done.Wait()
	return f.outcome, f.ans, f.err
}

// release drops one reference; the last one returns f to the pool.
func (fs *flights) release(f *flight) {
	if f.refs.Add(-1) == 0 {
		f.ans, f.err = nil, nil
		fs.pool.Put(f)
	}
}
