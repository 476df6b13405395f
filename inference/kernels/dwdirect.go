package kernels

// The direct depthwise path: on AVX-512, a 3x3 or 5x5 depthwise
// convolution of stride 1 or 2 (dilation 1, any padding) reads each channel of the input
// where it lies and writes its output in place, without the planes of
// prepareChannel (a padded copy, or for stride 2 a deinterleave into four
// phases) and without compacting the rows of the flat vector sum after
// (copyRows). Those two passes were half of a depthwise layer's time, and
// most of it on the 14x14 and 7x7 grids, whose channels are a few hundred
// values.
//
// The output is cut into chunks of up to 16 values (one ZMM register): for
// stride 1 with rows as wide as the input's (OW == W, "same" padding) the
// flattened output, 16 values at a time across rows; otherwise each output
// row from its left end. A chunk's record says where it starts in the output
// and in the input, which of its lanes are stored, and for each tap which
// lanes read a value of the input rather than the zero padding (the FMAs
// are merge-masked to those). Lane l of tap (ky, kx) reads input value
// first + ky*W + kx + stride*l, first the chunk's start in the input; for
// stride 2 the 3x3 kernel loads a row's 33 values once and splits them
// into even and odd ones (VPERMT2PS; a chunk of two rows loads each tap's
// 16 values of each row and keeps the even ones), the 5x5 one a row's 48
// values. 5x5 kernels of stride 1 compute two chunks at a time (see
// dwdirect_amd64.s).
//
// Each output is bias + w0*x0 + w1*x1 + ... (k*k taps of a k x k kernel)
// over the taps that read
// the input, in tap order, one FMA a tap, then clamped: the operations of
// dwFlat over the zero-padded planes, less its FMAs of a zero (x + w*0 is x
// unless w is infinite or NaN, or x is -0).

// Chunk records of a k x k kernel, in int32 words: 0 the output offset of
// lane 0, 1 the input offset of lane 0 at tap (0, 0) (negative at the top
// left corner of a padded input), 2 the mask of the lanes stored, 3+t the
// lanes of tap t; bit 16 of word 2 says that every tap reads the input in
// every lane (and so every lane is stored). Stride 2 adds 3+k*k+t, tap t's
// mask of the 32 values it loads (bit 2l for lane l), for the loads that
// must stay inside the input, and pads the record to twice the size of
// stride 1's.
//
// A 3x3 stride-2 record ends in three more words: 21 where its upper 16
// loaded values start, from its lower 16's start (16: the 32 values in a
// row), 22 how far lanes 8-15 are stored from lane l's place rec[0]+l, and
// 23 the mask of lanes 8-15 stored there. A depthwise layer whose output
// rows are at most 8 wide (MobileNetV2's 576@14 to 7x7, the MobileNetV1s'
// last stride-2 layers) takes two rows a chunk (dwPairRows): lanes 0-7 the
// first row, lanes 8-15 the next, two input rows further (word 21: 2W),
// stored right after the first row (word 22: OW-8) by a second masked
// store, which fills 14 lanes of 16 at 7x7 where a chunk a row fills 7.
const dwRecWords2 = 24 // stride 2, 3x3 (the dense direct path's records)

// The words of a 3x3 stride-2 record past the loads' masks (see dwRecWords2).
const (
	dwHiLoad  = 21
	dwHiShift = 22
	dwHiMask  = 23
)

// dwPairRows reports whether the direct depthwise records of a k x k
// convolution of stride s with outputs ow wide take two output rows a
// chunk (see dwRecWords2).
func dwPairRows(s, k, ow int) bool { return s == 2 && k == 3 && ow <= 8 }

// dwRecWords is the size of a record of stride s and a k x k kernel, in
// int32 words.
func dwRecWords(s, k int) int {
	return s * (3 + k*k)
}

// dwDirectApplies reports whether a depthwise convolution with parameters p
// takes the direct path on micro-kernel kind.
func dwDirectApplies(p ConvParams, kind kernelKind) bool {
	return kind == kindAVX512 && p.KH == p.KW && (p.KH == 3 || p.KH == 5) && p.DilH == 1 && p.DilW == 1 &&
		p.StrideH == p.StrideW && (p.StrideH == 1 || p.StrideH == 2)
}

// dwRecords builds the chunk records of a direct depthwise convolution
// (pair: two output rows a chunk where dwPairRows allows).
func dwRecords(p ConvParams, oh, ow int, pair bool) []int32 {
	s, k := p.StrideH, p.KH
	taps := k * k
	var recs []int32
	// chunk adds the chunk of n outputs from output (oy, ox) on, lane l at
	// flat output index oy*ow+ox+l (crossing rows only when ow == W); with
	// n2 >= 0, a chunk of two rows, lanes 8..8+n2 the first n2 outputs of
	// row oy+1 (none in a last row of its own).
	chunk := func(oy, ox, n, n2 int) {
		r := make([]int32, dwRecWords(s, k))
		r[0] = int32(oy*ow + ox)
		r[1] = int32((oy*s-p.PadT)*p.W + ox*s - p.PadL)
		r[2] = int32(1)<<n - 1
		switch {
		case n2 >= 0:
			r[dwHiLoad] = int32(2 * p.W)
			r[dwHiShift] = int32(ow - 8)
			r[dwHiMask] = (int32(1)<<n2 - 1) << 8
		case s == 2 && k == 3:
			r[dwHiLoad] = 16
		}
		for l := 0; l < 16; l++ {
			y, x := oy+(ox+l)/ow, (ox+l)%ow
			switch {
			case l >= 8 && l-8 < n2:
				y, x = oy+1, l-8
			case l >= n:
				continue
			}
			for t := 0; t < taps; t++ {
				iy, ix := y*s+t/k-p.PadT, x*s+t%k-p.PadL
				if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
					continue
				}
				r[3+t] |= 1 << l
				if s == 2 {
					r[3+taps+t] |= int32(uint32(1) << (2 * l))
				}
			}
		}
		full := true // then n is 16 too
		for t := 0; t < taps; t++ {
			full = full && r[3+t] == 1<<16-1
		}
		if full {
			r[2] |= 1 << 16
		}
		recs = append(recs, r...)
	}
	switch {
	case s == 1 && ow == p.W:
		for j := 0; j < oh*ow; j += 16 {
			chunk(j/ow, j%ow, min(16, oh*ow-j), -1)
		}
	case pair && dwPairRows(s, k, ow):
		for oy := 0; oy < oh; oy += 2 {
			n2 := 0
			if oy+1 < oh {
				n2 = ow
			}
			chunk(oy, 0, ow, n2)
		}
	default:
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox += 16 {
				chunk(oy, ox, min(16, ow-ox), -1)
			}
		}
	}
	return recs
}

// dwSpan is how many values a chunk's loads cover, from its first, for a
// k x k kernel: k-1 rows and 32 values (stride 1: each row's 16 values and
// the next 16, which the other taps of the row take with VALIGND), k-1 rows
// and k-1 values and 32 values (stride 2, 3x3: each row's 33 values, the
// slow path's masked loads each tap's 32), or
// k-1 rows and 48 values (stride 2, 5x5: each row's 48 values, split into
// even and odd ones).
//
// Chunks of two rows (pair, see dwRecWords2) load each tap's 16 values of
// the first row and 16 of the second, two input rows down: 4 rows and 2
// values and 16 values.
func dwSpan(width, s, k int, pair bool) int {
	switch {
	case pair:
		return 4*width + 2 + 16
	case s == 2 && k == 5:
		return (k-1)*width + 48
	case s == 2:
		return (k-1)*width + k - 1 + 32
	}
	return (k-1)*width + 32
}

// dwGeom is what the direct kernels need to know of a convolution: its
// chunk records of stride s and a k x k kernel, the input's row length and
// a channel's size in the input and the output.
type dwGeom struct {
	recs        []int32
	s, k, width int
	hw, ohw     int
	span        int  // dwSpan of the records
	pair        bool // chunks of two output rows (see dwRecWords2)
}

// newDwGeom is the geometry of the direct path of p, whose output is oh x
// ow; pair lets a depthwise layer take two output rows a chunk where
// dwPairRows allows (the dense path's kernel takes one).
func newDwGeom(p ConvParams, oh, ow int, pair bool) dwGeom {
	pair = pair && dwPairRows(p.StrideH, p.KH, ow)
	return dwGeom{recs: dwRecords(p, oh, ow, pair), s: p.StrideH, k: p.KH, width: p.W, hw: p.H * p.W, ohw: oh * ow,
		span: dwSpan(p.W, p.StrideH, p.KH, pair), pair: pair}
}

// dwDirectGo is the portable dwDirect: channels c0..c1 of the output into
// dst (which starts at channel c0) from the whole input src, through the
// chunk records of g; weights w (k*k a channel) and bias (one a channel)
// of every channel.
func dwDirectGo(dst, src []float32, c0, c1 int, g dwGeom, w, bias []float32, lo, hi float32) {
	words, taps := dwRecWords(g.s, g.k), g.k*g.k
	for ch := c0; ch < c1; ch++ {
		in, out, wt := src[ch*g.hw:], dst[(ch-c0)*g.ohw:], w[taps*ch:taps*(ch+1)]
		for r := 0; r+words <= len(g.recs); r += words {
			rec := g.recs[r : r+words]
			for l := 0; l < 16; l++ {
				first, at := int(rec[1]), int(rec[0])+l
				if g.s == 2 && g.k == 3 && l >= 8 {
					// Lanes 8-15 (see dwRecWords2).
					first += int(rec[dwHiLoad]) - 16
					if rec[dwHiMask]&(1<<l) != 0 {
						at += int(rec[dwHiShift])
					} else if rec[2]&(1<<l) == 0 {
						continue
					}
				} else if rec[2]&(1<<l) == 0 {
					continue
				}
				acc := bias[ch]
				for t := 0; t < taps; t++ {
					if rec[3+t]&(1<<l) != 0 {
						acc += wt[t] * in[first+(t/g.k)*g.width+t%g.k+g.s*l]
					}
				}
				out[at] = clamp(acc, lo, hi)
			}
		}
	}
}

// depthwiseDirect computes channels c0..c1 of a depthwise convolution on
// the direct path: dst starts at channel c0, src is the whole input (the
// kernel's whole-register loads may read into the neighbouring channels,
// and mask off what they read there; only the first and last channel's
// edge rows need masked loads).
func (c *Conv) depthwiseDirect(dst, src []float32, c0, c1 int) {
	p := c.p
	dwDirect(c.mk.kind, dst, src[:p.C*p.H*p.W], c0, c1, c.dw, c.dwW, c.dwBias, c.lo, c.hi)
	if c.silu {
		d := dst[:(c1-c0)*c.oh*c.ow]
		SiLU(d, d)
	}
}
