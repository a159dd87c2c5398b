package proxy

import (
	"sync"
	"sync/atomic"
)

// StatKey is one series of the request counter. Every field is bounded: a
// route template (or "unmatched"), a method of the table, a status, and a
// decision token from a fixed set — never a key id or a raw path.
type StatKey struct {
	Route, Method, Decision string
	Status                  int
	class                   class
}

// Stats counts requests by StatKey. Counting an existing series allocates
// nothing (a map read under a read lock and an atomic add).
type Stats struct {
	mu sync.RWMutex
	m  map[StatKey]*atomic.Uint64
}

func newStats() *Stats { return &Stats{m: map[StatKey]*atomic.Uint64{}} }

func (s *Stats) inc(k StatKey) {
	s.mu.RLock()
	c, ok := s.m[k]
	s.mu.RUnlock()
	if !ok {
		s.mu.Lock()
		if c, ok = s.m[k]; !ok {
			c = new(atomic.Uint64)
			s.m[k] = c
		}
		s.mu.Unlock()
	}
	c.Add(1)
}

// Each calls f for every series.
func (s *Stats) Each(f func(k StatKey, n uint64)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for k, c := range s.m {
		f(k, c.Load())
	}
}
