package ops

import (
	"runtime"
	"sync"
)

// parallelFor splits [0, n) into contiguous chunks run on up to GOMAXPROCS
// goroutines, when the total work (n times cost per item, in rough
// element-operations) is large enough to repay starting them.
func parallelFor(n, cost int, f func(lo, hi int)) {
	const minWork = 1 << 16
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 || n*cost < minWork {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
