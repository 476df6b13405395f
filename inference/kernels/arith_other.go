//go:build !amd64 || purego

package kernels

func addVV(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func mulVV(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func divVV(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] / b[i]
	}
}

func divVS(dst, a []float32, s float32) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] / s
	}
}

func addVS(dst, a []float32, s float32) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + s
	}
}

func mulVS(dst, a []float32, s float32) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * s
	}
}

func affineClamp(dst, src []float32, m, a, lo, hi float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = min(max(v*m+a, lo), hi)
	}
}

func maxAcc(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = max(dst[i], v)
	}
}

func addAcc(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

func addClamp(dst, a, b []float32, lo, hi float32) { addClampGo(dst, a, b, lo, hi) }

func maskWithin(dst, g, y []float32, lo, hi float32) { maskWithinGo(dst, g, y, lo, hi) }
