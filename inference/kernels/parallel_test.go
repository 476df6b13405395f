package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelFor checks that every index is visited exactly once: by one
// caller (the team's path), by many at once (the others start goroutines),
// and after the team has gone to sleep.
func TestParallelFor(t *testing.T) {
	check := func(n, w int) {
		counts := make([]atomic.Int32, n)
		parallelFor(n, w, func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				counts[i].Add(1)
			}
		})
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Fatalf("n=%d w=%d: index %d visited %d times", n, w, i, c)
			}
		}
	}
	for _, n := range []int{1, 2, 3, 7, 100, 1001} {
		for _, w := range []int{1, 2, 3, 8} {
			check(n, w)
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				check(97, 2)
			}
		}()
	}
	wg.Wait()
	time.Sleep(3 * teamSpin)
	check(1000, 2)
}
