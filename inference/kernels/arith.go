package kernels

// The elementwise loops of the operators: Add, Mul and Div (the elementwise
// operations CNNs use most: residual sums, squeeze-and-excitation scales,
// x*sigmoid(x)), the affine-and-clamp loop of BatchNormalization, Relu and
// Clip, and the row loops of pooling. On amd64 they are four-lane SSE loops
// (part of the amd64 baseline, so no feature check is needed; see
// arith_amd64.s), and Add, the affine-and-clamp loop and pooling's loops
// sixteen-lane AVX-512 ones on CPUs that have it (arith512_amd64.s);
// elsewhere and with the purego tag plain Go. Each sets
// dst[i] for every i < len(dst); the sources must be at least as long as
// dst.

// Add sets dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	_, _ = a[:len(dst)], b[:len(dst)] // the assembly relies on these bounds
	addVV(dst, a, b)
}

// Mul sets dst[i] = a[i] * b[i].
func Mul(dst, a, b []float32) {
	_, _ = a[:len(dst)], b[:len(dst)]
	mulVV(dst, a, b)
}

// Div sets dst[i] = a[i] / b[i] (IEEE division: the same bits as the
// scalar quotient).
func Div(dst, a, b []float32) {
	_, _ = a[:len(dst)], b[:len(dst)]
	divVV(dst, a, b)
}

// DivScalar sets dst[i] = a[i] / s.
func DivScalar(dst, a []float32, s float32) {
	_ = a[:len(dst)]
	divVS(dst, a, s)
}

// AddScalar sets dst[i] = a[i] + s.
func AddScalar(dst, a []float32, s float32) {
	_ = a[:len(dst)]
	addVS(dst, a, s)
}

// MulScalar sets dst[i] = a[i] * s.
func MulScalar(dst, a []float32, s float32) {
	_ = a[:len(dst)]
	mulVS(dst, a, s)
}

// ScaleClamp sets dst[i] = min(max(src[i]*m + a, lo), hi): the shared loop
// of BatchNormalization (with a fused Relu or Clip), Relu and Clip. A NaN
// stays NaN.
func ScaleClamp(dst, src []float32, m, a, lo, hi float32) {
	if len(dst) == 0 {
		return
	}
	_ = src[len(dst)-1]
	affineClamp(dst, src, m, a, lo, hi)
}

// AddClamp sets dst[i] = min(max(a[i] + b[i], lo), hi): Add with a fused
// Relu or Clip (ResNets' residual sums). A NaN stays NaN.
func AddClamp(dst, a, b []float32, lo, hi float32) {
	_, _ = a[:len(dst)], b[:len(dst)]
	addClamp(dst, a, b, lo, hi)
}

// addClampGo is AddClamp's loop in Go (SSE machines and other
// architectures).
func addClampGo(dst, a, b []float32, lo, hi float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, x := range a {
		dst[i] = min(max(x+b[i], lo), hi)
	}
}

// MaskWithin sets dst[i] = g[i] where lo < y[i] < hi and 0 elsewhere (a
// NaN y[i] included): the gradient through a Relu or Clip, read off its
// output y, for any lo and hi (Relu's are 0 and +Inf).
func MaskWithin(dst, g, y []float32, lo, hi float32) {
	_, _ = g[:len(dst)], y[:len(dst)]
	maskWithin(dst, g, y, lo, hi)
}

// maskWithinGo is MaskWithin's loop in Go.
func maskWithinGo(dst, g, y []float32, lo, hi float32) {
	g, y = g[:len(dst)], y[:len(dst)]
	for i, v := range y {
		if v > lo && v < hi {
			dst[i] = g[i]
		} else {
			dst[i] = 0
		}
	}
}

// MaxInto sets dst[i] = max(dst[i], src[i]), a loop of pooling.
func MaxInto(dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	_ = src[len(dst)-1]
	maxAcc(dst, src)
}

// AddInto sets dst[i] += src[i], a loop of pooling.
func AddInto(dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	_ = src[len(dst)-1]
	addAcc(dst, src)
}
