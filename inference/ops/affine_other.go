//go:build !amd64 || purego

package ops

func affineClamp(dst, src []float32, m, a, lo, hi float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = min(max(v*m+a, lo), hi)
	}
}
