//go:build !purego

package ops

// affineClamp is the loop of BatchNormalization, Relu and Clip:
// dst[i] = min(max(src[i]*m + a, lo), hi), four lanes at a time in SSE; see
// affine_amd64.s.
//
//go:noescape
func affineClamp(dst, src []float32, m, a, lo, hi float32)
