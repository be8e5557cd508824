package bridge

import (
	"runtime"
	"sync"
)

// groupCommit writes calls in batches: the calls submitted while a batch
// is being written make the next one, written by a goroutine that runs
// while there are calls. Concurrent writers then share one transaction,
// one commit and one wait for the disk. write answers every call of its
// batch (a call carries its own way to be answered).
type groupCommit[T any] struct {
	write func(batch []T)

	mu      sync.Mutex
	pending []T
	running bool
	loops   sync.WaitGroup // the running loop
}

// submit queues c for the next batch.
func (g *groupCommit[T]) submit(c T) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending = append(g.pending, c)
	if !g.running {
		g.running = true
		g.loops.Add(1)
		go g.loop()
	}
}

func (g *groupCommit[T]) loop() {
	defer g.loops.Done()
	for {
		// Let goroutines that are about to write queue up first: one
		// commit then serves them all. This matters most with few cores,
		// where a blocking fsync can hold the only one.
		runtime.Gosched()
		g.mu.Lock()
		batch := g.pending
		g.pending = nil
		if len(batch) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.write(batch)
	}
}

// wait waits until every call submitted is written. No call may be
// submitted once wait has begun.
func (g *groupCommit[T]) wait() { g.loops.Wait() }
