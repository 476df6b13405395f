package ops

import "math"

// expf is exp for float32 arguments, with float32 accuracy (within 2 ulp),
// several times faster than math.Exp: Sigmoid, on which EfficientNet-style
// networks spend much of their time outside convolutions, calls it once
// per element. It follows Cephes' expf: x = n*ln2 + r with |r| <= ln2/2,
// a degree-7 polynomial for e^r, and 2^n put into the exponent bits.
func expf(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -103.97208:
		return 0
	}
	const (
		log2e = 1.44269504088896341
		c1    = 0.693359375 // ln2 split in two for an exact n*c1
		c2    = -2.12194440e-4
	)
	// floor(x*log2e + 0.5) by truncation of a positive number: x*log2e
	// lies in [-150, 128] here.
	ni := int32(x*log2e+0.5+256) - 256
	n := float32(ni)
	r := x - n*c1
	r -= n * c2
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	// 2^n for n in [-150, 128]: split in two factors so that neither
	// leaves the normal range (results below 2^-126 are subnormal).
	if ni < -126 {
		p *= math.Float32frombits(uint32(ni+127+64) << 23)
		return p * math.Float32frombits(uint32(127-64)<<23)
	}
	if ni > 127 {
		return p * 2 * math.Float32frombits(uint32(ni-1+127)<<23)
	}
	return p * math.Float32frombits(uint32(ni+127)<<23)
}

// sigmoidSlice sets dst[i] = 1/(1+exp(-src[i])): with vector instructions
// where the platform has them, and for the rest with expf's steps written
// out in the loop, since a call per element would cost as much as the
// arithmetic. Arguments beyond ±88 give 0 or 1 outright (their exp
// overflows float32); NaN stays NaN.
func sigmoidSlice(dst, src []float32) {
	const (
		log2e = 1.44269504088896341
		c1    = 0.693359375
		c2    = -2.12194440e-4
	)
	dst = dst[:len(src)]
	for i := sigmoidVector(dst, src); i < len(src); i++ {
		v := src[i]
		x := -v
		if !(x > -87 && x < 88) {
			switch {
			case x >= 88:
				dst[i] = 0
			case x <= -87:
				dst[i] = 1
			default:
				dst[i] = v
			}
			continue
		}
		ni := int32(x*log2e+0.5+256) - 256
		n := float32(ni)
		r := x - n*c1
		r -= n * c2
		p := float32(1.9875691500e-4)
		p = p*r + 1.3981999507e-3
		p = p*r + 8.3334519073e-3
		p = p*r + 4.1665795894e-2
		p = p*r + 1.6666665459e-1
		p = p*r + 5.0000001201e-1
		p = p*r*r + r + 1
		e := p * math.Float32frombits(uint32(ni+127)<<23)
		dst[i] = 1 / (1 + e)
	}
}
