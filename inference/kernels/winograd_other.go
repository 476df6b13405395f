//go:build !amd64 || purego

package kernels

// wgVector reports whether the run's transforms have vector loops: not in
// this build.
func (r *wgRun) wgVector() bool { return false }

func (r *wgRun) inputVector(v []float32, chunk, t0, c0, c1 int, pt wgPatches) {
	panic("kernels: no vector Winograd transforms in this build")
}

func (r *wgRun) outputVector(m []float32, chunk, t0, m0, m1 int) {
	panic("kernels: no vector Winograd transforms in this build")
}
