//go:build !amd64 || purego

package kernels

// normKind is LayerNormRow's implementation: the portable loop here.
var normKind = kindGo

func layerNormSlice(dst, src, scale, bias []float32, eps float32) (mean, inv float32) {
	return layerNormRowGo(dst, src, scale, bias, eps)
}
