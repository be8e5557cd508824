package mattermost

import "sync"

// routes maps the signed name of a click or submission (a button's
// action, a dialog's callback ID) to its func. It is safe for concurrent
// use: handlers may be added while requests are served.
type routes[F any] struct {
	mu sync.RWMutex
	m  map[string]F
}

func (r *routes[F]) set(name string, fn F) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]F{}
	}
	r.m[name] = fn
}

func (r *routes[F]) get(name string) F {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m[name]
}
