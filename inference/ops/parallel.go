package ops

import "camscope/inference/kernels"

// parallelFor splits [0, n) into contiguous chunks run on up to
// kernels.Procs() goroutines (the kernels' team), when the total work (n times cost per
// item, in rough element-operations) is large enough to repay the hand-off.
func parallelFor(n, cost int, f func(lo, hi int)) {
	parallelFrom(1<<16, n, cost, f)
}

// parallelPlanes is parallelFor for a loop over the planes (channels) of an
// image that the layer before computed, split over the same goroutines the
// same way (the kernels' team takes parts from the back, the caller from
// the front): from a quarter of parallelFor's work on, so that each core
// reads the planes it wrote, where one would read half of them from the
// other core's cache (a squeeze-excitation's pool and scale at 7x7, 1152
// channels, after a depthwise layer on both cores).
func parallelPlanes(n, cost int, f func(lo, hi int)) {
	parallelFrom(1<<14, n, cost, f)
}

// parallelFrom is parallelFor from minWork on.
func parallelFrom(minWork, n, cost int, f func(lo, hi int)) {
	workers := min(kernels.Procs(), n)
	if workers <= 1 || n*cost < minWork {
		f(0, n)
		return
	}
	kernels.ParallelFor(n, workers, f)
}
