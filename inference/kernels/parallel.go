package kernels

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// minFlopsPerWorker is the work below which another goroutine costs more
// (start, wake-up, its own B packing) than it saves: about 20 µs of one core.
const minFlopsPerWorker = 2_000_000

// workersFor returns how many goroutines a job of the given size should use.
func workersFor(flops int) int {
	return max(1, min(runtime.GOMAXPROCS(0), flops/minFlopsPerWorker))
}

// chunksPerWorker is how many pieces parallelFor cuts the work into per
// goroutine: goroutines that finish early (or got more of a shared, busy CPU)
// take the pieces others have not started.
const chunksPerWorker = 2

// parallelFor calls fn(i0, i1) for consecutive parts of [0, n) that cover
// it, on w goroutines including the calling one.
func parallelFor(n, w int, fn func(i0, i1 int)) {
	w = max(1, min(w, n))
	if w == 1 {
		fn(0, n)
		return
	}
	chunks := min(n, w*chunksPerWorker)
	var next atomic.Int64
	work := func() {
		for {
			c := int(next.Add(1)) - 1
			if c >= chunks {
				return
			}
			fn(n*c/chunks, n*(c+1)/chunks)
		}
	}
	var wg sync.WaitGroup
	wg.Add(w - 1)
	for i := 0; i < w-1; i++ {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// scratch recycles float32 buffers between calls and goroutines, so that
// running a layer does not allocate and concurrent runs never share one.
// Buffers are kept by power-of-two capacity, so that a small request never
// takes (and a large one never drops) a buffer of the wrong size. Unlike a
// sync.Pool, the free lists survive garbage collections: a forward pass would
// otherwise reallocate megabytes of scratch after every collection.
var scratch [64]struct {
	sync.Mutex
	free []*[]float32
}

// maxFree bounds the buffers kept per size class (a few per goroutine that
// may run kernels at once).
const maxFree = 16

// getScratch returns a buffer of n values (contents undefined); hand it back
// with putScratch.
func getScratch(n int) *[]float32 {
	class := bits.Len(uint(max(n, 1) - 1))
	s := &scratch[class]
	s.Lock()
	if k := len(s.free); k > 0 {
		p := s.free[k-1]
		s.free = s.free[:k-1]
		s.Unlock()
		*p = (*p)[:n]
		return p
	}
	s.Unlock()
	b := make([]float32, n, 1<<class)
	return &b
}

func putScratch(p *[]float32) {
	s := &scratch[bits.Len(uint(cap(*p)-1))]
	s.Lock()
	if len(s.free) < maxFree {
		s.free = append(s.free, p)
	}
	s.Unlock()
}
