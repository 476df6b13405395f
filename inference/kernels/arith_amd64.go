//go:build amd64 && !purego

package kernels

// The loops of arith.go in SSE; see arith_amd64.s.

//go:noescape
func addVV(dst, a, b []float32)

//go:noescape
func mulVV(dst, a, b []float32)

//go:noescape
func addVS(dst, a []float32, s float32)

//go:noescape
func mulVS(dst, a []float32, s float32)

//go:noescape
func divVV(dst, a, b []float32)

//go:noescape
func divVS(dst, a []float32, s float32)

//go:noescape
func affineClamp(dst, src []float32, m, a, lo, hi float32)

//go:noescape
func maxAcc(dst, src []float32)

//go:noescape
func addAcc(dst, src []float32)
