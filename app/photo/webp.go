package photo

import (
	"image"
)

// webpToRGB converts a lossy WebP's YCbCr 4:2:0 planes to RGB the way
// libwebp (and so Pillow, browsers and the Python tools) does. VP8 stores
// BT.601 limited-range ("studio") YCbCr, but golang.org/x/image/webp returns
// it as an image.YCbCr, which Go converts as full-range JFIF: colours came
// out up to 22 levels off (5.6 on average on a photo). This is libwebp's
// fancy upsampler (dsp/upsampling.c UPSAMPLE_FUNC, rows paired as in
// io_dec.c EmitFancyRGB) and its fixed-point conversion (dsp/yuv.h).
// Where alpha is given (lossy WebP with an alpha channel), pixels are
// composited onto white like every other photo.
func webpToRGB(src *image.YCbCr, alpha []byte, alphaStride int) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	cw := (w + 1) / 2
	u := make([][]byte, (h+1)/2)
	v := make([][]byte, len(u))
	for i := range u {
		o := src.COffset(b.Min.X, b.Min.Y+2*i)
		u[i], v[i] = src.Cb[o:o+cw], src.Cr[o:o+cw]
	}
	yrow := func(y int) []byte { o := src.YOffset(b.Min.X, b.Min.Y+y); return src.Y[o : o+w] }
	drow := func(y int) []byte { return dst.Pix[y*dst.Stride : y*dst.Stride+4*w] }
	topU, topV := make([]byte, w), make([]byte, w)
	botU, botV := make([]byte, w), make([]byte, w)
	// Row 0 on its own, with the chroma row mirrored; then pairs
	// (2k-1, 2k) between chroma rows k-1 and k; then, for an even height,
	// the last row on its own.
	upsampleRow(u[0], u[0], topU, nil)
	upsampleRow(v[0], v[0], topV, nil)
	convertRow(drow(0), yrow(0), topU, topV)
	for k := 1; 2*k < h; k++ {
		upsampleRow(u[k-1], u[k], topU, botU)
		upsampleRow(v[k-1], v[k], topV, botV)
		convertRow(drow(2*k-1), yrow(2*k-1), topU, topV)
		convertRow(drow(2*k), yrow(2*k), botU, botV)
	}
	if h > 1 && h%2 == 0 {
		last := u[len(u)-1]
		upsampleRow(last, last, topU, nil)
		upsampleRow(v[len(v)-1], v[len(v)-1], topV, nil)
		convertRow(drow(h-1), yrow(h-1), topU, topV)
	}
	if alpha != nil {
		for y := range h {
			row := drow(y)
			for x := range w {
				a := uint32(alpha[y*alphaStride+x])
				for c := range 3 {
					row[4*x+c] = uint8((uint32(row[4*x+c])*a + 255*(255-a) + 127) / 255)
				}
			}
		}
	}
	return dst
}

// upsampleRow doubles a chroma row pair horizontally and vertically for one
// channel: top gets the output row nearer to t (the upper chroma row), bot
// (if not nil) the one nearer to c. Weights are 9:3:3:1 with libwebp's
// rounding.
func upsampleRow(t, c, top, bot []byte) {
	n := len(top)
	tl, l := int(t[0]), int(c[0])
	top[0] = uint8((3*tl + l + 2) >> 2)
	if bot != nil {
		bot[0] = uint8((3*l + tl + 2) >> 2)
	}
	for x := 1; x <= (n-1)>>1; x++ {
		tv, cv := int(t[x]), int(c[x])
		avg := tl + tv + l + cv + 8
		d12 := (avg + 2*(tv+l)) >> 3
		d03 := (avg + 2*(tl+cv)) >> 3
		top[2*x-1] = uint8((d12 + tl) >> 1)
		top[2*x] = uint8((d03 + tv) >> 1)
		if bot != nil {
			bot[2*x-1] = uint8((d03 + l) >> 1)
			bot[2*x] = uint8((d12 + cv) >> 1)
		}
		tl, l = tv, cv
	}
	if n%2 == 0 {
		top[n-1] = uint8((3*tl + l + 2) >> 2)
		if bot != nil {
			bot[n-1] = uint8((3*l + tl + 2) >> 2)
		}
	}
}

// convertRow is libwebp's VP8YuvToRgb for one row.
func convertRow(dst, y, u, v []byte) {
	for x := range y {
		yy, uu, vv := int(y[x]), int(u[x]), int(v[x])
		dst[4*x] = clipWebP(multHi(yy, 19077) + multHi(vv, 26149) - 14234)
		dst[4*x+1] = clipWebP(multHi(yy, 19077) - multHi(uu, 6419) - multHi(vv, 13320) + 8708)
		dst[4*x+2] = clipWebP(multHi(yy, 19077) + multHi(uu, 33050) - 17685)
		dst[4*x+3] = 255
	}
}

func multHi(v, coeff int) int { return (v * coeff) >> 8 }

// clipWebP is VP8Clip8: the values carry 6 fractional bits.
func clipWebP(v int) uint8 {
	const mask = (256 << 6) - 1
	switch {
	case v&^mask == 0:
		return uint8(v >> 6)
	case v < 0:
		return 0
	}
	return 255
}
