package bridge

import (
	"container/list"
	"sync"
)

// maxCachedLocations bounds the per-location clients kept in memory. An
// agency's bridge sees thousands of locations, most of them quiet: past
// the bound the least recently used client is dropped, and built again
// from the stored token on its next use. A request still holding a dropped
// client finishes with it; only its lookup pause (a minute at most) is
// forgotten.
const maxCachedLocations = 1000

// locationCache holds the services of the locations used lately, at most
// max (maxCachedLocations when 0), the most recently used first.
type locationCache struct {
	mu    sync.Mutex
	max   int
	order list.List                // of *services, most recently used first
	m     map[string]*list.Element // location ID → its element in order
}

// get returns the services of locationID, or nil, and marks them used.
func (c *locationCache) get(locationID string) *services {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.m[locationID]
	if el == nil {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*services)
}

// add keeps s unless services of its location were added meanwhile, and
// returns the ones kept. The least recently used beyond the bound go.
func (c *locationCache) add(s *services) *services {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.m[s.locationID]; el != nil {
		c.order.MoveToFront(el)
		return el.Value.(*services)
	}
	if c.m == nil {
		c.m = make(map[string]*list.Element)
	}
	c.m[s.locationID] = c.order.PushFront(s)
	limit := c.max
	if limit <= 0 {
		limit = maxCachedLocations
	}
	for c.order.Len() > limit {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.m, old.Value.(*services).locationID)
	}
	return s
}

// remove drops the services of locationID, if cached.
func (c *locationCache) remove(locationID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.m[locationID]; el != nil {
		c.order.Remove(el)
		delete(c.m, locationID)
	}
}

// len is how many locations' services are cached.
func (c *locationCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
