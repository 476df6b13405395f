package kernels

// The direct depthwise 3x3 path: on AVX-512, a 3x3 depthwise convolution
// of stride 1 or 2 (dilation 1, any padding) reads each channel of the input
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
// stride 2 the kernel loads the 32 values from there and keeps the even
// ones (VPERMT2PS).
//
// Each output is bias + w0*x0 + w1*x1 + ... + w8*x8 over the taps that read
// the input, in tap order, one FMA a tap, then clamped: the operations of
// dwFlat over the zero-padded planes, less its FMAs of a zero (x + w*0 is x
// unless w is infinite or NaN, or x is -0).

// Chunk records, in int32 words: 0 the output offset of lane 0, 1 the input
// offset of lane 0 at tap (0, 0) (negative at the top left corner of a
// padded input), 2 the mask of the lanes stored, 3+t the lanes of tap t.
// Stride 2 adds 12+t, tap t's mask of the 32 values it loads (bit 2l for
// lane l), for the loads that must stay inside the input.
const (
	dwRecWords1 = 12
	dwRecWords2 = 24
)

// dwRecWords is the size of a record of stride s, in int32 words.
func dwRecWords(s int) int {
	if s == 2 {
		return dwRecWords2
	}
	return dwRecWords1
}

// dwDirectApplies reports whether a depthwise convolution with parameters p
// takes the direct path on micro-kernel kind.
func dwDirectApplies(p ConvParams, kind kernelKind) bool {
	return kind == kindAVX512 && p.KH == 3 && p.KW == 3 && p.DilH == 1 && p.DilW == 1 &&
		p.StrideH == p.StrideW && (p.StrideH == 1 || p.StrideH == 2)
}

// dwRecords builds the chunk records of a direct depthwise convolution.
func dwRecords(p ConvParams, oh, ow int) []int32 {
	s := p.StrideH
	var recs []int32
	// chunk adds the chunk of n outputs from output (oy, ox) on, lane l at
	// flat output index oy*ow+ox+l (crossing rows only when ow == W).
	chunk := func(oy, ox, n int) {
		r := make([]int32, dwRecWords(s))
		r[0] = int32(oy*ow + ox)
		r[1] = int32((oy*s-p.PadT)*p.W + ox*s - p.PadL)
		r[2] = int32(1)<<n - 1
		for l := 0; l < n; l++ {
			y, x := oy+(ox+l)/ow, (ox+l)%ow
			for t := 0; t < 9; t++ {
				iy, ix := y*s+t/3-p.PadT, x*s+t%3-p.PadL
				if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
					continue
				}
				r[3+t] |= 1 << l
				if s == 2 {
					r[12+t] |= int32(uint32(1) << (2 * l))
				}
			}
		}
		recs = append(recs, r...)
	}
	if s == 1 && ow == p.W {
		for j := 0; j < oh*ow; j += 16 {
			chunk(j/ow, j%ow, min(16, oh*ow-j))
		}
		return recs
	}
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox += 16 {
			chunk(oy, ox, min(16, ow-ox))
		}
	}
	return recs
}

// dwSpan is how many values a chunk's loads cover, from its first: two rows
// and 32 values (stride 1: each row's 16 values and the next 16, which the
// other taps of the row take with VALIGND), or two rows and two values and
// 32 values (stride 2).
func dwSpan(width, s int) int {
	if s == 2 {
		return 2*width + 34
	}
	return 2*width + 32
}

// dwGeom is what the direct kernels need to know of a convolution: its
// chunk records of stride s, the input's row length and a channel's size
// in the input and the output.
type dwGeom struct {
	recs     []int32
	s, width int
	hw, ohw  int
}

// dwDirectGo is the portable dwDirect: channels c0..c1 of the output into
// dst (which starts at channel c0) from the whole input src, through the
// chunk records of g; weights w (9 a channel) and bias (one a channel) of
// every channel.
func dwDirectGo(dst, src []float32, c0, c1 int, g dwGeom, w, bias []float32, lo, hi float32) {
	words := dwRecWords(g.s)
	for ch := c0; ch < c1; ch++ {
		in, out, wt := src[ch*g.hw:], dst[(ch-c0)*g.ohw:], w[9*ch:9*ch+9]
		for r := 0; r+words <= len(g.recs); r += words {
			rec := g.recs[r : r+words]
			for l := 0; l < 16; l++ {
				if rec[2]&(1<<l) == 0 {
					continue
				}
				acc := bias[ch]
				for t := 0; t < 9; t++ {
					if rec[3+t]&(1<<l) != 0 {
						acc += wt[t] * in[int(rec[1])+(t/3)*g.width+t%3+g.s*l]
					}
				}
				out[int(rec[0])+l] = clamp(acc, lo, hi)
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
