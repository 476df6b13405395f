package photo

import (
	"image"
)

// ycbcrToRGB converts a decoded JPEG's YCbCr planes to RGB the way libjpeg
// (and so Pillow, and the Python tools models are evaluated with) does:
// chroma planes are upsampled with libjpeg's "fancy" triangle filter
// (jdsample.c: h2v1, h2v2, h1v2_fancy_upsample) instead of repeating each
// sample, and the colour conversion uses jdcolor.c's rounded tables. Go's
// image/draw repeats chroma samples, which left colour fringes up to 30
// levels off at sharp edges. It returns nil for subsampling ratios it does
// not handle (4:1:1, 4:1:0), which then go through image/draw.
func ycbcrToRGB(src *image.YCbCr) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	var up func(plane []byte, stride, cw, ch int) []byte
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		up = func(p []byte, stride, cw, ch int) []byte { return crop(p, stride, cw, ch) }
	case image.YCbCrSubsampleRatio422:
		up = func(p []byte, stride, cw, ch int) []byte { return upH2V1(crop(p, stride, cw, ch), cw, ch, w) }
	case image.YCbCrSubsampleRatio420:
		up = func(p []byte, stride, cw, ch int) []byte { return upH2V2(crop(p, stride, cw, ch), cw, ch, w, h) }
	case image.YCbCrSubsampleRatio440:
		up = func(p []byte, stride, cw, ch int) []byte { return upH1V2(crop(p, stride, cw, ch), cw, ch, h) }
	default:
		return nil
	}
	// The chroma planes of a w x h image, as libjpeg sizes them
	// (downsampled_width = ceil(w * h_samp / max_h_samp)).
	cw, ch := w, h
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		cw = (w + 1) / 2
	case image.YCbCrSubsampleRatio420:
		cw, ch = (w+1)/2, (h+1)/2
	case image.YCbCrSubsampleRatio440:
		ch = (h + 1) / 2
	}
	// Go's decoder keeps whole blocks; the planes start at the chroma
	// position of b.Min.
	off := src.COffset(b.Min.X, b.Min.Y)
	cb := up(src.Cb[off:], src.CStride, cw, ch)
	cr := up(src.Cr[off:], src.CStride, cw, ch)
	tab := ycbcrTables()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		yrow := src.Y[src.YOffset(b.Min.X, b.Min.Y+y):]
		out := dst.Pix[y*dst.Stride:]
		for x := range w {
			yy, cbv, crv := int32(yrow[x]), cb[y*w+x], cr[y*w+x]
			out[4*x] = clamp8(yy + tab.crR[crv])
			out[4*x+1] = clamp8(yy + (tab.cbG[cbv]+tab.crG[crv])>>16)
			out[4*x+2] = clamp8(yy + tab.cbB[cbv])
			out[4*x+3] = 255
		}
	}
	return dst
}

// crop copies the cw x ch top-left part of a plane.
func crop(p []byte, stride, cw, ch int) []byte {
	out := make([]byte, cw*ch)
	for y := range ch {
		copy(out[y*cw:(y+1)*cw], p[y*stride:])
	}
	return out
}

// upH2V1 doubles the width (libjpeg h2v1_fancy_upsample): each output
// sample is 3/4 of the nearer and 1/4 of the further input sample, with
// alternating rounding biases. It returns a w-wide plane.
func upH2V1(p []byte, cw, ch, w int) []byte {
	out := make([]byte, w*ch)
	row := make([]byte, 2*cw)
	for y := range ch {
		in := p[y*cw : (y+1)*cw]
		if cw == 1 {
			row[0], row[1] = in[0], in[0]
		} else {
			row[0] = in[0]
			row[1] = uint8((int(in[0])*3 + int(in[1]) + 2) >> 2)
			for c := 1; c < cw-1; c++ {
				v := int(in[c]) * 3
				row[2*c] = uint8((v + int(in[c-1]) + 1) >> 2)
				row[2*c+1] = uint8((v + int(in[c+1]) + 2) >> 2)
			}
			last := cw - 1
			row[2*last] = uint8((int(in[last])*3 + int(in[last-1]) + 1) >> 2)
			row[2*last+1] = in[last]
		}
		copy(out[y*w:(y+1)*w], row)
	}
	return out
}

// upH1V2 doubles the height (libjpeg-turbo h1v2_fancy_upsample).
func upH1V2(p []byte, cw, ch, h int) []byte {
	out := make([]byte, cw*h)
	for oy := range h {
		y, v := oy/2, oy%2
		near, far := p[y*cw:(y+1)*cw], p[neighbour(y, v, ch)*cw:]
		bias := 1 + v
		for c := range cw {
			out[oy*cw+c] = uint8((int(near[c])*3 + int(far[c]) + bias) >> 2)
		}
	}
	return out
}

// upH2V2 doubles both (libjpeg h2v2_fancy_upsample): a vertical 3:1 column
// sum, then a horizontal 3:1 blend of column sums, /16 with alternating
// biases 8 and 7.
func upH2V2(p []byte, cw, ch, w, h int) []byte {
	out := make([]byte, w*h)
	sums := make([]int, cw)
	row := make([]byte, 2*cw)
	for oy := range h {
		y, v := oy/2, oy%2
		near, far := p[y*cw:(y+1)*cw], p[neighbour(y, v, ch)*cw:]
		for c := range cw {
			sums[c] = int(near[c])*3 + int(far[c])
		}
		if cw == 1 {
			row[0] = uint8((sums[0]*4 + 8) >> 4)
			row[1] = uint8((sums[0]*4 + 7) >> 4)
		} else {
			row[0] = uint8((sums[0]*4 + 8) >> 4)
			row[1] = uint8((sums[0]*3 + sums[1] + 7) >> 4)
			for c := 1; c < cw-1; c++ {
				row[2*c] = uint8((sums[c]*3 + sums[c-1] + 8) >> 4)
				row[2*c+1] = uint8((sums[c]*3 + sums[c+1] + 7) >> 4)
			}
			last := cw - 1
			row[2*last] = uint8((sums[last]*3 + sums[last-1] + 8) >> 4)
			row[2*last+1] = uint8((sums[last]*4 + 7) >> 4)
		}
		copy(out[oy*w:(oy+1)*w], row)
	}
	return out
}

// neighbour is the second-nearest input row for output row half v (0: the
// upper half, which looks up; 1: the lower, which looks down), with the
// edge rows repeated as libjpeg's context rows are.
func neighbour(y, v, ch int) int {
	if v == 0 {
		return max(y-1, 0)
	}
	return min(y+1, ch-1)
}

// ycbcrTab holds jdcolor.c's build_ycc_rgb_table, indexed by the 8-bit
// sample: R = Y + crR, G = Y + (cbG + crG) >> 16, B = Y + cbB.
type ycbcrTab struct {
	crR, cbB, crG, cbG [256]int32
}

var ycbcrTabCache *ycbcrTab

func ycbcrTables() *ycbcrTab {
	if ycbcrTabCache != nil {
		return ycbcrTabCache
	}
	const scaleBits = 16
	const half = 1 << (scaleBits - 1)
	fix := func(x float64) int32 { return int32(x*(1<<scaleBits) + 0.5) }
	t := new(ycbcrTab)
	for i := range 256 {
		x := int32(i - 128)
		t.crR[i] = (fix(1.40200)*x + half) >> scaleBits
		t.cbB[i] = (fix(1.77200)*x + half) >> scaleBits
		t.crG[i] = -fix(0.71414) * x
		t.cbG[i] = -fix(0.34414)*x + half
	}
	ycbcrTabCache = t
	return t
}

func clamp8(v int32) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}
