//go:build !purego

package ops

// Four-lane SSE loops for float32 Add and Mul, the elementwise operations
// CNNs use most (residual sums, squeeze-and-excitation scales, x*sigmoid(x));
// see arith_amd64.s.

//go:noescape
func addVV(dst, a, b []float32)

//go:noescape
func mulVV(dst, a, b []float32)

//go:noescape
func addVS(dst, a []float32, s float32)

//go:noescape
func mulVS(dst, a []float32, s float32)
