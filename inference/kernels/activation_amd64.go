//go:build amd64 && !purego

package kernels

// expAVX2, sigmoidAVX2 and siluAVX2 are the activation loops in AVX2+FMA, 8
// values per vector, with the last n%8 done by one masked load and store
// (so nothing outside the slices is touched). See activation_amd64.s.
//
//go:noescape
func expAVX2(dst, src *float32, n int)

//go:noescape
func sigmoidAVX2(dst, src *float32, n int)

//go:noescape
func siluAVX2(dst, src *float32, n int)

// expAVX512, sigmoidAVX512 and siluAVX512 are the same loops in AVX-512, 16
// values per vector, with a masked load and store for the last n%16. See
// activation_amd64.s.
//
//go:noescape
func expAVX512(dst, src *float32, n int)

//go:noescape
func sigmoidAVX512(dst, src *float32, n int)

//go:noescape
func siluAVX512(dst, src *float32, n int)

// expSumAVX512 is ExpSum's loop in AVX-512 (Exp's, with the shift
// subtracted first and the results summed in a vector), for n > 0.
//
//go:noescape
func expSumAVX512(dst, src *float32, n int, shift float32) float32

// rowMaxAVX512 is RowMax's loop in AVX-512, two vectors of running maxima,
// for n > 0.
//
//go:noescape
func rowMaxAVX512(src *float32, n int) float32

// erfAVX512 is Erf's loop in AVX-512, 16 values per vector, with a masked
// load and store for the last n%16. See erf_amd64.s.
//
//go:noescape
func erfAVX512(dst, src *float32, n int)

// geluAVX512 is Gelu's loop in AVX-512 (Erf's, with x/√2 before and
// x/2·(1 + erf) after). See erf_amd64.s.
//
//go:noescape
func geluAVX512(dst, src *float32, n int)

// actKind is the implementation of Exp, Sigmoid and SiLU: the fastest one
// the CPU supports. Tests switch it to cover every available one.
var actKind = bestActKind()

func bestActKind() kernelKind {
	if hasAVX512 {
		return kindAVX512
	}
	if hasAVX2 {
		return kindAVX2
	}
	return kindGo
}

// The callers below have checked len(src) > 0 and len(dst) == len(src).

func expSlice(dst, src []float32) {
	if actKind == kindGo {
		expGo(dst, src)
		return
	}
	if actKind == kindAVX512 {
		expAVX512(&dst[0], &src[0], len(src))
		return
	}
	expAVX2(&dst[0], &src[0], len(src))
}

func sigmoidSlice(dst, src []float32) {
	if actKind == kindGo {
		sigmoidGo(dst, src)
		return
	}
	if actKind == kindAVX512 {
		sigmoidAVX512(&dst[0], &src[0], len(src))
		return
	}
	sigmoidAVX2(&dst[0], &src[0], len(src))
}

func siluSlice(dst, src []float32) {
	if actKind == kindGo {
		siluGo(dst, src)
		return
	}
	if actKind == kindAVX512 {
		siluAVX512(&dst[0], &src[0], len(src))
		return
	}
	siluAVX2(&dst[0], &src[0], len(src))
}

func expSumSlice(dst, src []float32, shift float32) float32 {
	if actKind == kindAVX512 {
		return expSumAVX512(&dst[0], &src[0], len(src), shift)
	}
	return expSumGo(dst, src, shift)
}

func rowMaxSlice(x []float32) float32 {
	if actKind == kindAVX512 {
		return rowMaxAVX512(&x[0], len(x))
	}
	return rowMaxGo(x)
}

func erfSlice(dst, src []float32) {
	if actKind == kindAVX512 {
		erfAVX512(&dst[0], &src[0], len(src))
		return
	}
	erfGo(dst, src)
}

func geluSlice(dst, src []float32) {
	if actKind == kindAVX512 {
		geluAVX512(&dst[0], &src[0], len(src))
		return
	}
	geluGo(dst, src)
}
