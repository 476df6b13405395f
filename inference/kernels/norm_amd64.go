//go:build amd64 && !purego

package kernels

// centredSquares512 and normalize512 are LayerNormRow's second and third
// passes in AVX-512 (norm_amd64.s), for n > 0: the sum of (src - mean)^2,
// and dst = ((src - mean) * inv) * scale + bias (bias may be nil). The
// first, the mean, is Mean's.
//
//go:noescape
func centredSquares512(src *float32, n int, mean float32) float32

//go:noescape
func normalize512(dst, src, scale, bias *float32, n int, mean, inv float32)

// normKind is LayerNormRow's implementation; tests switch it to cover the
// portable loop too.
var normKind = bestNormKind()

func bestNormKind() kernelKind {
	if hasAVX512 {
		return kindAVX512
	}
	return kindGo
}

// layerNormSlice is LayerNormRow for n > 0 values, dst, scale and bias
// (if any) cut to n.
func layerNormSlice(dst, src, scale, bias []float32, eps float32) (mean, inv float32) {
	if normKind != kindAVX512 {
		return layerNormRowGo(dst, src, scale, bias, eps)
	}
	n := len(src)
	mean = Mean(src)
	inv = invStd(centredSquares512(&src[0], n, mean), n, eps)
	var b *float32
	if bias != nil {
		b = &bias[0]
	}
	normalize512(&dst[0], &src[0], &scale[0], b, n, mean, inv)
	return mean, inv
}
