package preprocess

import (
	"image"
	"image/draw"

	xdraw "golang.org/x/image/draw"
)

// Resize scales src to w x h with a bilinear (triangle) filter whose support
// widens by the shrink factor when downscaling, as PIL's
// Image.resize(size, BILINEAR) does: every source pixel contributes, so small
// outputs are not aliased. Pixel centres map as PIL's do: output x+0.5 samples
// input (x+0.5)*sw/w. The result is opaque 8-bit RGB(A); src should be opaque
// (package app/photo flattens alpha onto white).
//
// golang.org/x/image/draw's BiLinear kernel implements exactly this filter
// (see newDistrib in x/image/draw/scale.go). It scales into a 16-bit
// image and rounds to 8 bits here, because draw's 8-bit path truncates,
// which would bias every value down by half a level against PIL's rounding.
func Resize(src image.Image, w, h int) *image.RGBA {
	return resizeRect(src, src.Bounds(), w, h)
}

// resizeRect scales the sr part of src to w x h.
func resizeRect(src image.Image, sr image.Rectangle, w, h int) *image.RGBA {
	if rgba, ok := src.(*image.RGBA); !ok {
		// x/image/draw has fast paths for *image.RGBA; YCbCr and paletted
		// photos would go through the slow image.Image path.
		c := image.NewRGBA(sr)
		draw.Draw(c, sr, src, sr.Min, draw.Src)
		src = c
	} else {
		src = rgba
	}
	wide := image.NewRGBA64(image.Rect(0, 0, w, h))
	xdraw.BiLinear.Scale(wide, wide.Bounds(), src, sr, xdraw.Src, nil)
	out := image.NewRGBA(wide.Bounds())
	for i, j := 0, 0; i < len(out.Pix); i, j = i+4, j+8 {
		for c := range 4 {
			v := uint32(wide.Pix[j+2*c])<<8 | uint32(wide.Pix[j+2*c+1])
			// Round v/257 (0xffff maps to 0xff) to the nearest 8-bit level.
			out.Pix[i+c] = uint8((v*255 + 32767) / 65535)
		}
	}
	return out
}
