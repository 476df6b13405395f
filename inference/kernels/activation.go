package kernels

import "math"

// Elementwise exp, sigmoid and SiLU over float32 slices.
//
// All three share one exp (Cephes' expf): x = n*ln2 + r with n =
// round(x*log2e) and |r| <= ln2/2 (ln2 split in two constants so that n*c1
// is exact), e^r = 1 + r + r^2*P(r) with P of degree 5, and 2^n built in the
// exponent bits, as two factors 2^(n>>1) * 2^(n-n>>1) so that subnormal and
// overflowing results round once, correctly. Arguments are clamped to
// [-120, 89] first, where exp is already 0 or +Inf in float32.
//
// Sigmoid and SiLU only take exp of -|x| (in (0, 1], never overflowing):
// sigmoid(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0, with e = exp(-|x|),
// and SiLU multiplies the numerator by x (before the last power-of-two
// factor of e, so that subnormal results round once). So large arguments of either sign
// saturate without Inf/Inf, and negative ones keep their relative accuracy
// down to the subnormals.
//
// The amd64 kernels (AVX2+FMA, AVX-512) evaluate the same formula with fused
// multiply-adds, so they may differ from the portable loops below in the
// last bit or two (the AVX2 and AVX-512 kernels agree bit for bit). Over
// every 7th float32 below 110 in magnitude, the largest errors against
// float64 math were 1.01 ulp for Exp, 2.37 ulp (relative 1.8e-7) for
// Sigmoid and 3.22 ulp (relative 2.4e-7) for SiLU, where subnormal results
// count in units of the smallest subnormal. NaN arguments give NaN.

// Constants of the exp evaluation (see above).
const (
	actLog2e = 1.44269504088896341
	actMagic = 12582912 // 1.5*2^23: adding it rounds |t| < 2^22 to an integer
	actC1    = 0.693359375
	actC2    = -2.12194440e-4
	actP0    = 1.9875691500e-4
	actP1    = 1.3981999507e-3
	actP2    = 8.3334519073e-3
	actP3    = 4.1665795894e-2
	actP4    = 1.6666665459e-1
	actP5    = 5.0000001201e-1
	actLo    = -120 // exp(x) rounds to 0 below about -103.97 (x*exp(x) near -108)
	actHi    = 89   // and overflows above about 88.72
)

// Sigmoid sets dst[i] = 1/(1+exp(-src[i])) for every i < len(src). dst must
// be at least as long as src; dst and src may be the same slice (but must
// not otherwise overlap).
func Sigmoid(dst, src []float32) {
	dst = dst[:len(src)]
	if len(src) == 0 {
		return
	}
	sigmoidSlice(dst, src)
}

// SiLU sets dst[i] = src[i]*sigmoid(src[i]) (also called swish) for every
// i < len(src). dst must be at least as long as src; dst and src may be the
// same slice (but must not otherwise overlap).
func SiLU(dst, src []float32) {
	dst = dst[:len(src)]
	if len(src) == 0 {
		return
	}
	siluSlice(dst, src)
}

// Exp sets dst[i] = e^src[i] for every i < len(src): +Inf above about
// 88.72, 0 below about -103.97 (subnormal results in between). dst must be
// at least as long as src; dst and src may be the same slice (but must not
// otherwise overlap).
func Exp(dst, src []float32) {
	dst = dst[:len(src)]
	if len(src) == 0 {
		return
	}
	expSlice(dst, src)
}

// ExpSum sets dst[i] = e^(src[i]-shift) for every i < len(src), as Exp
// of the difference rounded to float32, and returns the sum of them: the
// middle of a Softmax row, whose shift is the row's maximum. dst must be
// at least as long as src; dst and src may be the same slice (but must
// not otherwise overlap).
func ExpSum(dst, src []float32, shift float32) float32 {
	dst = dst[:len(src)]
	if len(src) == 0 {
		return 0
	}
	return expSumSlice(dst, src, shift)
}

// expSumGo is ExpSum's portable loop: Exp of the differences, then Sum.
func expSumGo(dst, src []float32, shift float32) float32 {
	AddScalar(dst, src, -shift)
	expSlice(dst, dst)
	return Sum(dst)
}

// RowMax returns the largest value of x that is not NaN: -Inf when there
// is none (x empty, or all NaN). Which of +0 and -0 it returns when both
// are the largest is not specified.
func RowMax(x []float32) float32 {
	if len(x) == 0 {
		return float32(math.Inf(-1))
	}
	return rowMaxSlice(x)
}

// rowMaxGo is RowMax's portable loop: comparisons in four chains, not the
// max builtin, whose NaN checks made it half the cost of an attention
// row's Softmax.
func rowMaxGo(x []float32) float32 {
	inf := float32(math.Inf(-1))
	m0, m1, m2, m3 := inf, inf, inf, inf
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		if v[0] > m0 {
			m0 = v[0]
		}
		if v[1] > m1 {
			m1 = v[1]
		}
		if v[2] > m2 {
			m2 = v[2]
		}
		if v[3] > m3 {
			m3 = v[3]
		}
	}
	for ; i < len(x); i++ {
		if x[i] > m0 {
			m0 = x[i]
		}
	}
	return max(max(m0, m1), max(m2, m3))
}

// expCore returns e^x for x in [actLo, actHi] (or NaN).
func expCore(x float32) float32 {
	y, b := expParts(x)
	return y * b
}

// expParts returns e^x, for x in [actLo, actHi] (or NaN), as the product of
// a normal number and a power of two, so that a caller can multiply by
// something else before the one rounding into the subnormals (if any).
func expParts(x float32) (y, b float32) {
	m := x*actLog2e + actMagic
	n := m - actMagic
	r := x - n*actC1
	r -= n * actC2
	p := float32(actP0)
	p = p*r + actP1
	p = p*r + actP2
	p = p*r + actP3
	p = p*r + actP4
	p = p*r + actP5
	y = p*(r*r) + r
	y++
	// n is in [-174, 128]; so are the low bits of m, less the magic's,
	// and both halves of it stay in the normal exponents.
	ni := int32(math.Float32bits(m) - math.Float32bits(actMagic))
	n1 := ni >> 1
	n2 := ni - n1
	y *= math.Float32frombits(uint32(n1)<<23 + 0x3f800000)
	return y, math.Float32frombits(uint32(n2)<<23 + 0x3f800000)
}

// expGo is Exp's portable loop.
func expGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		if x < actLo {
			x = actLo
		}
		if x > actHi {
			x = actHi
		}
		dst[i] = expCore(x)
	}
}

// sigmoidGo is Sigmoid's portable loop.
func sigmoidGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		a := -abs32(x)
		if a < actLo {
			a = actLo
		}
		e := expCore(a)
		num := float32(1)
		if math.Signbit(float64(x)) {
			num = e
		}
		dst[i] = num / (1 + e)
	}
}

// siluGo is SiLU's portable loop. For x < 0 the numerator x*e multiplies x
// in before the last factor of e (see expParts), so that subnormal results
// are rounded once; and below actLo it uses the clamped argument, so that
// -Inf gives -0 rather than -Inf*0.
func siluGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		a := -abs32(x)
		if a < actLo {
			a = actLo
		}
		y, b := expParts(a)
		e := y * b
		num := x
		if math.Signbit(float64(x)) {
			num = a * y * b
		}
		dst[i] = num / (1 + e)
	}
}

func abs32(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
}

// Erf sets dst[i] = erf(src[i]) for every i < len(src), within 1e-6 of
// the exact value: a rational approximation on [-4, 4] (Eigen's float erf),
// ±1 beyond. dst must be at least as long as src; dst and src may be the
// same slice (but must not otherwise overlap).
func Erf(dst, src []float32) {
	dst = dst[:len(src)]
	if len(src) == 0 {
		return
	}
	erfSlice(dst, src)
}

// erfGo is Erf's portable loop. The AVX-512 kernel evaluates the same
// polynomials with fused multiply-adds, so it may differ in the last bits.
func erfGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		if x != x {
			dst[i] = x
			continue
		}
		x = min(max(x, -4), 4)
		x2 := x * x
		p := float32(-2.72614225801306e-10)
		p = p*x2 + 2.77068142495902e-08
		p = p*x2 + -2.10102402082508e-06
		p = p*x2 + -5.69250639462346e-05
		p = p*x2 + -7.34990630326855e-04
		p = p*x2 + -2.95459980854025e-03
		p = p*x2 + -1.60960333262415e-02
		q := float32(-1.45660718464996e-05)
		q = q*x2 + -2.13374055278905e-04
		q = q*x2 + -1.68282697438203e-03
		q = q*x2 + -7.37332916720468e-03
		q = q*x2 + -1.42647390514189e-02
		dst[i] = x * p / q
	}
}

// Gelu sets dst[i] = x·(1 + erf(x/√2))/2, x = src[i], for every i <
// len(src) (ONNX's Gelu, and the Div, Erf, Add, Mul, Mul that PyTorch
// exports for it before opset 20), with Erf's approximation. dst must be
// at least as long as src; dst and src may be the same slice (but must not
// otherwise overlap).
func Gelu(dst, src []float32) {
	dst = dst[:len(src)]
	if len(src) == 0 {
		return
	}
	geluSlice(dst, src)
}

// geluGo is Gelu's portable loop, through erfGo in blocks.
func geluGo(dst, src []float32) {
	dst = dst[:len(src)]
	var buf [256]float32
	for lo := 0; lo < len(src); lo += len(buf) {
		x := src[lo:min(lo+len(buf), len(src))]
		e := buf[:len(x)]
		for i, v := range x {
			e[i] = v * (1 / math.Sqrt2)
		}
		erfGo(e, e)
		for i, v := range x {
			dst[lo+i] = 0.5 * v * (1 + e[i])
		}
	}
}
