package kernels

import (
	"math/bits"
	"runtime"
	"sync"
)

// minFlopsPerWorker is the work below which another goroutine costs more
// (start, wake-up, its own B packing) than it saves: about 20 µs of one core.
const minFlopsPerWorker = 2_000_000

// workersFor returns how many goroutines a job of the given size should use.
func workersFor(flops int) int {
	return max(1, min(runtime.GOMAXPROCS(0), flops/minFlopsPerWorker))
}

// parallelFor calls fn(i0, i1) on w goroutines for consecutive parts of
// [0, n), the calling goroutine taking the last part.
func parallelFor(n, w int, fn func(i0, i1 int)) {
	w = max(1, min(w, n))
	if w == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(w - 1)
	for i := 0; i < w-1; i++ {
		go func() {
			defer wg.Done()
			fn(n*i/w, n*(i+1)/w)
		}()
	}
	fn(n*(w-1)/w, n)
	wg.Wait()
}

// scratch recycles float32 buffers between calls and goroutines, so that
// running a layer does not allocate and concurrent runs never share one.
// Buffers are pooled by power-of-two capacity, so that a small request never
// takes (and a large one never drops) a buffer of the wrong size.
var scratch [64]sync.Pool

// getScratch returns a buffer of n values (contents undefined); hand it back
// with putScratch.
func getScratch(n int) *[]float32 {
	class := bits.Len(uint(max(n, 1) - 1))
	if p, ok := scratch[class].Get().(*[]float32); ok {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n, 1<<class)
	return &s
}

func putScratch(p *[]float32) {
	scratch[bits.Len(uint(cap(*p)-1))].Put(p)
}
