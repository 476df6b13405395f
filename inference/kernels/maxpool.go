package kernels

import "math"

// MaxPool2D is MaxPool over 2-D planes in one kernel call per block of
// planes: windows of any height and 2 or 3 columns, stride 1 or 2 along the
// rows and any stride down the columns, no dilation, any padding (ceil
// mode's overhanging windows included). The windows' taps in the padding
// are skipped, so a window wholly in it gives -inf, and a NaN in a window
// gives NaN (as Go's builtin max; zeros of either sign are equal, and the
// sign of a zero maximum may differ from the builtin's). It runs in AVX-512: NewMaxPool2D returns
// nil on other CPUs and under the purego tag, and the caller keeps its own
// loops for those.
type MaxPool2D struct {
	h, w, oh, ow, kh, sh, padT int
	kw, sw, padL               int
	kind                       int // poolS1K2, poolS1K3, poolS2K2, poolS2K3 or poolFlat3
	chunks                     []poolChunk
	flat                       []uint16 // for poolFlat3, see flatMasks
}

// The window shapes of maxPool512, in the order its kind argument takes.
const (
	poolS1K2 = iota
	poolS1K3
	poolS2K2
	poolS2K3
	// poolFlat3 is maxPoolFlat512: 3x3 windows, stride 1, padding 1 all
	// round (GoogLeNet's inception branches), each plane as one flat run.
	poolFlat3
)

// poolChunk is one chunk of an output row for maxPool512 (laid out as the
// assembly reads it): the input column col of its first load (negative in
// the left padding), the masks of the 16 columns that its first and second
// loads take (those inside the row that its windows use), the mask of its
// outputs and the output column of the first.
type poolChunk struct {
	col          int
	load0, load1 uint64
	store        uint64
	out          int
}

// NewMaxPool2D returns the kernel for planes of h x w pooled into oh x ow
// by kh x kw windows with strides sh, sw, starting padT rows above and padL
// columns left of the plane (the bottom and right padding follow from oh
// and ow), or nil when it has no kernel for them.
func NewMaxPool2D(h, w, oh, ow, kh, kw, sh, sw, padT, padL int) *MaxPool2D {
	if !hasMaxPool || h <= 0 || w <= 0 || oh <= 0 || ow <= 0 || kh <= 0 || sh <= 0 || padT < 0 || padL < 0 ||
		kw < 2 || kw > 3 || sw < 1 || sw > 2 {
		return nil
	}
	p := &MaxPool2D{h: h, w: w, oh: oh, ow: ow, kh: kh, sh: sh, padT: padT, kw: kw, sw: sw, padL: padL}
	if kh == 3 && kw == 3 && sh == 1 && sw == 1 && padT == 1 && padL == 1 && oh == h && ow == w {
		p.kind, p.flat = poolFlat3, flatMasks(h, w)
		return p
	}
	// Outputs per chunk: stride 1 reads 16 columns, stride 2 reads 32.
	var per int
	switch sw {
	case 1:
		p.kind, per = poolS1K2+kw-2, 17-kw
	default:
		p.kind, per = poolS2K2+kw-2, (32-kw)/2+1
	}
	for x0 := 0; x0 < ow; x0 += per {
		n := min(per, ow-x0)
		col := x0*sw - padL
		last := min((x0+n-1)*sw-padL+kw-1, w-1) // the last column read
		mask := func(first int) uint64 {
			var m uint64
			for i := range 16 {
				if c := first + i; c >= 0 && c <= last {
					m |= 1 << i
				}
			}
			return m
		}
		p.chunks = append(p.chunks, poolChunk{col: col, load0: mask(col), load1: mask(col + 16), store: 1<<n - 1, out: x0})
	}
	return p
}

// flatMasks returns maxPoolFlat512's masks for planes of h x w: for each
// step of 16 values, 8 masks of which it reads 5: the lanes in the plane,
// those with a row above, with a row below, with a column to the left,
// with a column to the right.
func flatMasks(h, w int) []uint16 {
	n := h * w
	masks := make([]uint16, (n+15)/16*8)
	for i := range n {
		m := masks[i/16*8:]
		bit := uint16(1) << (i % 16)
		m[0] |= bit
		if i >= w {
			m[1] |= bit
		}
		if i < n-w {
			m[2] |= bit
		}
		if i%w != 0 {
			m[3] |= bit
		}
		if i%w != w-1 {
			m[4] |= bit
		}
	}
	return masks
}

// Run pools the planes of src, each h x w, into those of dst, each oh x
// ow.
func (p *MaxPool2D) Run(dst, src []float32) {
	planes := len(src) / (p.h * p.w)
	if planes == 0 {
		return
	}
	_, _ = src[planes*p.h*p.w-1], dst[planes*p.oh*p.ow-1]
	if maxPoolRun(p, &dst[0], &src[0], planes) {
		p.exact(dst, src, planes)
	}
}

// exact pools the planes again one window at a time with the builtin max,
// which keeps a NaN, for the rare inputs where the kernel's maxima may have
// dropped one.
func (p *MaxPool2D) exact(dst, src []float32, planes int) {
	for pl := range planes {
		in, out := src[pl*p.h*p.w:(pl+1)*p.h*p.w], dst[pl*p.oh*p.ow:(pl+1)*p.oh*p.ow]
		for oy := range p.oh {
			y0, x0 := oy*p.sh-p.padT, -p.padL
			for ox := range p.ow {
				m := float32(math.Inf(-1))
				for y := max(y0, 0); y < min(y0+p.kh, p.h); y++ {
					for x := max(x0, 0); x < min(x0+p.kw, p.w); x++ {
						m = max(m, in[y*p.w+x])
					}
				}
				out[oy*p.ow+ox] = m
				x0 += p.sw
			}
		}
	}
}
