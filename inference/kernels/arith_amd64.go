//go:build amd64 && !purego

package kernels

// The loops of arith.go in SSE (arith_amd64.s), and the busiest of them in
// AVX-512 when the CPU has it (arith512_amd64.s).

//go:noescape
func addVVSSE(dst, a, b []float32)

//go:noescape
func mulVV(dst, a, b []float32)

//go:noescape
func addVS(dst, a []float32, s float32)

//go:noescape
func mulVSSSE(dst, a []float32, s float32)

//go:noescape
func divVV(dst, a, b []float32)

//go:noescape
func divVS(dst, a []float32, s float32)

//go:noescape
func affineClampSSE(dst, src []float32, m, a, lo, hi float32)

//go:noescape
func maxAccSSE(dst, src []float32)

//go:noescape
func addAccSSE(dst, src []float32)

// The same four loops in AVX-512 (arith512_amd64.s), for n > 0 values.

//go:noescape
func addVV512(dst, a, b *float32, n int)

//go:noescape
func affineClamp512(dst, src *float32, n int, m, a, lo, hi float32)

//go:noescape
func maxAcc512(dst, src *float32, n int)

//go:noescape
func addAcc512(dst, src *float32, n int)

//go:noescape
func addClamp512(dst, a, b *float32, n int, lo, hi float32)

//go:noescape
func maskWithin512(dst, src, y *float32, n int, lo, hi float32)

// arith512 says whether addVV, mulVS, affineClamp, maxAcc, addAcc, addClamp and maskWithin run in
// AVX-512; tests switch it to cover the SSE loops too.
var arith512 = hasAVX512

func addVV(dst, a, b []float32) {
	if arith512 && len(dst) > 0 {
		addVV512(&dst[0], &a[0], &b[0], len(dst))
		return
	}
	addVVSSE(dst, a, b)
}

// mulVS is affineClamp512 with nothing added (-0 changes no product) and
// no bounds: Softmax's scaling of its rows.
func mulVS(dst, a []float32, s float32) {
	if arith512 && len(dst) > 0 {
		affineClamp512(&dst[0], &a[0], len(dst), s, negZero, -float32Inf, float32Inf)
		return
	}
	mulVSSSE(dst, a, s)
}

func affineClamp(dst, src []float32, m, a, lo, hi float32) {
	if arith512 && len(dst) > 0 {
		affineClamp512(&dst[0], &src[0], len(dst), m, a, lo, hi)
		return
	}
	affineClampSSE(dst, src, m, a, lo, hi)
}

func maxAcc(dst, src []float32) {
	if arith512 && len(dst) > 0 {
		maxAcc512(&dst[0], &src[0], len(dst))
		return
	}
	maxAccSSE(dst, src)
}

func addAcc(dst, src []float32) {
	if arith512 && len(dst) > 0 {
		addAcc512(&dst[0], &src[0], len(dst))
		return
	}
	addAccSSE(dst, src)
}

func addClamp(dst, a, b []float32, lo, hi float32) {
	if arith512 && len(dst) > 0 {
		addClamp512(&dst[0], &a[0], &b[0], len(dst), lo, hi)
		return
	}
	addClampGo(dst, a, b, lo, hi)
}

func maskWithin(dst, g, y []float32, lo, hi float32) {
	if arith512 && len(dst) > 0 {
		maskWithin512(&dst[0], &g[0], &y[0], len(dst), lo, hi)
		return
	}
	maskWithinGo(dst, g, y, lo, hi)
}
