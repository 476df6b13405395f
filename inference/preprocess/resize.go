package preprocess

import (
	"image"
	"image/draw"
	"math"
)

// Resize scales src to w x h exactly as Pillow's
// Image.resize((w, h), Image.BILINEAR) does for an 8-bit RGB image, so that
// a model sees the same values it was evaluated with (torchvision's Resize
// and the reference numbers in shared/ use Pillow). The result is opaque;
// alpha in src is ignored (package app/photo flattens it onto white).
//
// Pillow's bilinear filter is a triangle whose support widens by the shrink
// factor when downscaling, so every source pixel contributes and small
// outputs are not aliased. golang.org/x/image/draw's BiLinear kernel is the
// same filter, but it keeps the intermediate pass in float64 where Pillow
// rounds to 8 bits with 22-bit fixed-point weights: 13.6% of the values
// differed by one level on the shared photos, which moved MobileNet V2
// probabilities by up to 0.03. This is a port of Pillow 9.4's
// libImaging/Resample.c (precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal_8bpc / Vertical_8bpc, ImagingResampleInner) and
// gives the same bytes.
func Resize(src image.Image, w, h int) *image.RGBA {
	if w <= 0 || h <= 0 {
		panic("preprocess: Resize to an empty size")
	}
	in, ok := src.(*image.RGBA)
	if !ok {
		b := src.Bounds()
		in = image.NewRGBA(b)
		draw.Draw(in, b, src, b.Min, draw.Src)
	}
	b := in.Bounds()
	sw, sh := b.Dx(), b.Dy()
	needH, needV := w != sw, h != sh

	hb, hk, hks := coefficients(sw, w)
	vb, vk, vks := coefficients(sh, h)
	// Pillow resamples horizontally only the rows the vertical pass reads.
	first, last := vb[0], vb[2*h-2]+vb[2*h-1]
	cur := in
	if needH {
		for i := range h {
			vb[2*i] -= first
		}
		tmp := image.NewRGBA(image.Rect(0, 0, w, last-first))
		resampleH(tmp, in, first, hb, hk, hks)
		cur = tmp
	}
	if needV {
		out := image.NewRGBA(image.Rect(0, 0, w, h))
		resampleV(out, cur, vb, vk, vks)
		cur = out
	}
	if cur == in {
		cur = image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(cur, cur.Bounds(), in, b.Min, draw.Src)
	}
	for i := 3; i < len(cur.Pix); i += 4 {
		cur.Pix[i] = 255
	}
	return cur
}

// precisionBits is Pillow's PRECISION_BITS for 8-bit images: 32 - 8 - 2.
const precisionBits = 22

// coefficients computes, for each of outSize output pixels, the first input
// pixel and the count of contributing pixels (bounds[2i], bounds[2i+1]),
// and their fixed-point weights kk[i*ksize : i*ksize+count]: Pillow's
// precompute_coeffs with the bilinear filter (support 1) over the whole
// input, then normalize_coeffs_8bpc.
func coefficients(inSize, outSize int) (bounds []int, kk []int32, ksize int) {
	scale := float64(inSize) / float64(outSize)
	filterscale := max(scale, 1)
	support := 1.0 * filterscale
	ksize = int(math.Ceil(support))*2 + 1
	bounds = make([]int, 2*outSize)
	kk = make([]int32, outSize*ksize)
	pre := make([]float64, ksize)
	for xx := range outSize {
		center := (float64(xx) + 0.5) * scale
		ss := 1 / filterscale
		// C's (int) truncates toward zero, as Go's conversion does.
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), inSize) - xmin
		ww := 0.0
		for x := range xmax {
			wt := triangle((float64(x+xmin) - center + 0.5) * ss)
			pre[x] = wt
			ww += wt
		}
		k := kk[xx*ksize : (xx+1)*ksize]
		for x := range xmax {
			if ww != 0 {
				pre[x] /= ww
			}
			if pre[x] < 0 {
				k[x] = int32(-0.5 + pre[x]*(1<<precisionBits))
			} else {
				k[x] = int32(0.5 + pre[x]*(1<<precisionBits))
			}
		}
		bounds[2*xx], bounds[2*xx+1] = xmin, xmax
	}
	return bounds, kk, ksize
}

// triangle is Pillow's bilinear_filter.
func triangle(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

// clip8 is Pillow's clip8: round (the sum started at half a unit) and clamp.
func clip8(v int32) uint8 {
	switch {
	case v >= 1<<precisionBits<<8:
		return 255
	case v <= 0:
		return 0
	}
	return uint8(v >> precisionBits)
}

// resampleH fills dst (w x rows) from rows offset.. of src.
func resampleH(dst, src *image.RGBA, offset int, bounds []int, kk []int32, ksize int) {
	sb := src.Bounds()
	w := dst.Bounds().Dx()
	for yy := range dst.Bounds().Dy() {
		row := src.Pix[src.PixOffset(sb.Min.X, sb.Min.Y+yy+offset):]
		out := dst.Pix[yy*dst.Stride:]
		for xx := range w {
			xmin, xmax := bounds[2*xx], bounds[2*xx+1]
			k := kk[xx*ksize : xx*ksize+xmax]
			s0, s1, s2 := int32(1)<<(precisionBits-1), int32(1)<<(precisionBits-1), int32(1)<<(precisionBits-1)
			for x, kv := range k {
				p := row[4*(x+xmin):]
				s0 += int32(p[0]) * kv
				s1 += int32(p[1]) * kv
				s2 += int32(p[2]) * kv
			}
			out[4*xx], out[4*xx+1], out[4*xx+2] = clip8(s0), clip8(s1), clip8(s2)
		}
	}
}

// resampleV fills dst (w x h) from the columns of src. It walks source rows
// in order and accumulates a whole output row at once, which reads memory
// sequentially; integer sums do not depend on the order of addition, so the
// result is Pillow's.
func resampleV(dst, src *image.RGBA, bounds []int, kk []int32, ksize int) {
	sb := src.Bounds()
	w := dst.Bounds().Dx()
	acc := make([]int32, 3*w)
	for yy := range dst.Bounds().Dy() {
		ymin, ymax := bounds[2*yy], bounds[2*yy+1]
		for i := range acc {
			acc[i] = 1 << (precisionBits - 1)
		}
		for y, kv := range kk[yy*ksize : yy*ksize+ymax] {
			row := src.Pix[src.PixOffset(sb.Min.X, sb.Min.Y+ymin+y):]
			for xx := range w {
				p := row[4*xx : 4*xx+3]
				acc[3*xx] += int32(p[0]) * kv
				acc[3*xx+1] += int32(p[1]) * kv
				acc[3*xx+2] += int32(p[2]) * kv
			}
		}
		out := dst.Pix[yy*dst.Stride:]
		for xx := range w {
			out[4*xx], out[4*xx+1], out[4*xx+2] = clip8(acc[3*xx]), clip8(acc[3*xx+1]), clip8(acc[3*xx+2])
		}
	}
}
