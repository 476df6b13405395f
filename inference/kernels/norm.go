package kernels

import "math"

// LayerNormRow writes (src - mean) * inv * scale + bias (bias nil: 0) into
// dst and returns the mean of src and inv = 1/sqrt(var + eps), var the mean
// of (src - mean)^2: one row of LayerNormalization. dst, scale and bias
// must be at least as long as src. The sums run in float32: with AVX-512
// the mean is Mean's and the squares go in vectors of 16 lanes, otherwise
// both in four chains, so the two differ in the last bits of mean and
// inv; the last step is the same arithmetic in both, value by value:
// ((src - mean) * inv) * scale + bias, each rounded.
func LayerNormRow(dst, src, scale, bias []float32, eps float32) (mean, inv float32) {
	n := len(src)
	if n == 0 {
		return 0, 0
	}
	dst, scale = dst[:n], scale[:n]
	if bias != nil {
		bias = bias[:n]
	}
	return layerNormSlice(dst, src, scale, bias, eps)
}

// invStd is 1/sqrt(ss/n + eps), in float64 before the one rounding.
func invStd(ss float32, n int, eps float32) float32 {
	return float32(1 / math.Sqrt(float64(ss)/float64(n)+float64(eps)))
}

// layerNormRowGo is LayerNormRow's portable loop: four accumulators per
// sum and no call per element.
func layerNormRowGo(dst, src, scale, bias []float32, eps float32) (mean, inv float32) {
	n := len(src)
	mean = Sum(src) / float32(n)
	var v0, v1, v2, v3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		d0, d1, d2, d3 := src[i]-mean, src[i+1]-mean, src[i+2]-mean, src[i+3]-mean
		v0 += d0 * d0
		v1 += d1 * d1
		v2 += d2 * d2
		v3 += d3 * d3
	}
	for ; i < n; i++ {
		d := src[i] - mean
		v0 += d * d
	}
	inv = invStd((v0+v1)+(v2+v3), n, eps)
	if bias == nil {
		for i, v := range src {
			dst[i] = (v - mean) * inv * scale[i]
		}
		return mean, inv
	}
	for i, v := range src {
		dst[i] = (v-mean)*inv*scale[i] + bias[i]
	}
	return mean, inv
}
