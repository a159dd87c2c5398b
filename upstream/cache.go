package upstream

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// cacheShards spread the cache's lock: a hit takes one shard's.
const cacheShards = 16

// cache keeps upstream 200 answers for a short TTL, bounded in bytes, the
// least recently used going first. Entries are looked up by the hash of
// their read's key and confirmed on the key itself. Safe for concurrent
// use.
type cache struct {
	ttl      time.Duration
	maxEntry int64 // an answer larger than this is not kept
	shards   [cacheShards]cacheShard
	bytes    atomic.Int64
	entries  atomic.Int64
}

type cacheShard struct {
	mu    sync.Mutex
	max   int64 // bytes
	bytes int64
	lru   *simplelru.LRU[uint64, *entry]
	// heads indexes the entries by head(target), for purges.
	heads map[string]map[uint64]struct{}
}

// entry is one cached answer.
type entry struct {
	key  []byte
	head string
	ans  *answer
	// expires is the unix ns after which the entry is never served: the
	// TTL counted from when the request was sent, not from when the answer
	// arrived.
	expires int64
	size    int64
}

func newCache(ttl time.Duration, maxBytes int64) *cache {
	c := &cache{ttl: ttl, maxEntry: maxBytes / cacheShards}
	for i := range c.shards {
		s := &c.shards[i]
		s.max, s.heads = maxBytes/cacheShards, map[string]map[uint64]struct{}{}
		// The size bound is in bytes, kept below; the entry count only
		// bounds the LRU's own memory.
		s.lru, _ = simplelru.NewLRU(1<<20, s.evicted(c))
	}
	return c
}

func (c *cache) shard(h uint64) *cacheShard { return &c.shards[h%cacheShards] }

// get returns the answer cached for key at now, or nil. An expired entry is
// dropped.
func (c *cache) get(h uint64, key []byte, now int64) *answer {
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.lru.Get(h)
	if !ok || !bytes.Equal(e.key, key) {
		return nil
	}
	if now >= e.expires {
		s.lru.Remove(h)
		return nil
	}
	return e.ans
}

// put keeps ans for key, sent at sent (unix ns), unless the entry would
// already be expired or is too large; then the shard's oldest entries go
// until it fits. current reports, under the shard's lock, whether no purge
// happened since the request was sent (see Shared.epoch).
func (c *cache) put(h uint64, key, target []byte, ans *answer, sent, now int64, current func() bool) {
	e := &entry{key: bytes.Clone(key), head: string(head(target)), ans: ans, expires: sent + int64(c.ttl)}
	e.size = int64(len(e.key)+len(e.head)) + ans.size()
	if e.size > c.maxEntry || now >= e.expires {
		return
	}
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !current() {
		return
	}
	s.lru.Remove(h) // a replaced entry leaves through the callback, which counts its bytes
	s.lru.Add(h, e)
	s.bytes += e.size
	c.bytes.Add(e.size)
	c.entries.Add(1)
	hs := s.heads[e.head]
	if hs == nil {
		hs = map[uint64]struct{}{}
		s.heads[e.head] = hs
	}
	hs[h] = struct{}{}
	for s.bytes > s.max {
		s.lru.RemoveOldest()
	}
}

// evicted is a shard's LRU callback: it runs under the shard's lock for
// every entry that leaves, evicted, expired, replaced or purged.
func (s *cacheShard) evicted(c *cache) func(uint64, *entry) {
	return func(h uint64, e *entry) {
		s.bytes -= e.size
		c.bytes.Add(-e.size)
		c.entries.Add(-1)
		if hs := s.heads[e.head]; hs != nil {
			delete(hs, h)
			if len(hs) == 0 {
				delete(s.heads, e.head)
			}
		}
	}
}

// forget drops the entry of key.
func (c *cache) forget(h uint64, key []byte) {
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.lru.Peek(h); ok && bytes.Equal(e.key, key) {
		s.lru.Remove(h)
	}
}

// purge drops every entry whose target's head is one of heads.
func (c *cache) purge(heads []string) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for _, hd := range heads {
			for h := range s.heads[hd] {
				s.lru.Remove(h) // the callback edits s.heads[hd]: allowed while ranging
			}
		}
		s.mu.Unlock()
	}
}

// purgeAll drops every entry.
func (c *cache) purgeAll() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.lru.Purge()
		s.mu.Unlock()
	}
}
