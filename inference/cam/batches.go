package cam

import (
	"context"
	"runtime"
	"sync"
)

// inBatches calls run(w, first, n) for the consecutive batches [first,
// first+n) of total jobs, batch jobs at a time, on up to GOMAXPROCS
// goroutines at once; w, from 0 to the number of goroutines minus one,
// names the goroutine calling, for buffers of its own. One model run
// leaves cores idle between its operators and inside its small ones, which
// another run fills: two runs at once on two cores come closer to twice
// the pace of one than one run's operators split over both do. After each
// batch, progress (when set) gets the number of jobs done and the total,
// one call at a time, the numbers increasing (and no more calls once ctx
// is cancelled). The first error stops the
// other goroutines before their next batch and is returned; so does ctx's
// cancellation.
func inBatches(ctx context.Context, total, batch int, progress func(done, total int), run func(w, first, n int) error) error {
	if total == 0 {
		return nil
	}
	batches := (total + batch - 1) / batch
	next := make(chan int)
	var (
		mu    sync.Mutex
		done  int
		first error
		wg    sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := range min(runtime.GOMAXPROCS(0), batches) {
		wg.Go(func() {
			for start := range next {
				n := min(batch, total-start)
				err := run(w, start, n)
				mu.Lock()
				if err != nil && first == nil {
					first = err
					cancel()
				}
				if err == nil && first == nil && ctx.Err() == nil {
					done += n
					if progress != nil {
						progress(done, total)
					}
				}
				mu.Unlock()
			}
		})
	}
feed:
	for start := 0; start < total; start += batch {
		select {
		case next <- start:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
