package cam

import "context"

// inBatches calls run(first, n) for the consecutive batches [first,
// first+n) of total jobs, batch jobs at a time, in order. (Each batch goes
// through Model.RunBatch, which runs its passes on every core at once.)
// After each batch, progress (when set) gets the number of jobs done and
// the total. It stops at the first error, or before the next batch once
// ctx is cancelled, and returns that error.
func inBatches(ctx context.Context, total, batch int, progress func(done, total int), run func(first, n int) error) error {
	for first := 0; first < total; first += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(batch, total-first)
		if err := run(first, n); err != nil {
			return err
		}
		if progress != nil {
			progress(first+n, total)
		}
	}
	return nil
}
