package ops

import "camscope/inference/kernels"

// parallelFor splits [0, n) into contiguous chunks run on up to
// kernels.Procs() goroutines (the kernels' team), when the total work (n times cost per
// item, in rough element-operations) is large enough to repay the hand-off.
func parallelFor(n, cost int, f func(lo, hi int)) {
	const minWork = 1 << 16
	workers := min(kernels.Procs(), n)
	if workers <= 1 || n*cost < minWork {
		f(0, n)
		return
	}
	kernels.ParallelFor(n, workers, f)
}
