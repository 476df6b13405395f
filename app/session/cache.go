package session

import (
	"sync"

	"camscope/app/explain"
)

// The runner's model cache keeps the models it loaded, so that opening one
// again (or comparing with it) does not load it again, within two bounds:
// their weights take at most modelCacheBytes together, and they are at most
// modelCacheModels (a full comparison). The least recently used goes first;
// the newest stays even when it alone is over the budget. The models a
// session shows are held by the session in any case: the cache only decides
// which others stay in memory.
const (
	modelCacheBytes  = 1 << 30
	modelCacheModels = MaxModels
)

// modelCache is a least-recently-used cache of loaded models by path; it is
// safe for concurrent use.
type modelCache struct {
	budget int64
	max    int
	size   func(*explain.Model) int64

	mu      sync.Mutex
	entries []cached // least recently used first
	bytes   int64
}

type cached struct {
	path  string
	m     *explain.Model
	bytes int64
}

func newModelCache(budget int64, max int, size func(*explain.Model) int64) *modelCache {
	return &modelCache{budget: budget, max: max, size: size}
}

// modelBytes is what a model counts against the budget: its weights.
func modelBytes(m *explain.Model) int64 {
	if m.Engine == nil {
		return 0
	}
	return m.Engine.WeightBytes
}

// get returns the model cached for path, making it the most recently used.
func (c *modelCache) get(path string) (*explain.Model, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.find(path)
	if i < 0 {
		return nil, false
	}
	e := c.entries[i]
	c.entries = append(append(c.entries[:i], c.entries[i+1:]...), e)
	return e.m, true
}

// put caches m for path as the most recently used, then drops the least
// recently used models while the cache is over its bounds.
func (c *modelCache) put(path string, m *explain.Model) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.find(path); i >= 0 {
		c.bytes -= c.entries[i].bytes
		c.entries = append(c.entries[:i], c.entries[i+1:]...)
	}
	e := cached{path: path, m: m, bytes: c.size(m)}
	c.entries = append(c.entries, e)
	c.bytes += e.bytes
	for len(c.entries) > 1 && (len(c.entries) > c.max || c.bytes > c.budget) {
		c.bytes -= c.entries[0].bytes
		c.entries[0] = cached{}
		c.entries = c.entries[1:]
	}
}

func (c *modelCache) find(path string) int {
	for i, e := range c.entries {
		if e.path == path {
			return i
		}
	}
	return -1
}
