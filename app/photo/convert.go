package photo

import (
	"image"
	"image/color"
	"image/draw"
)

// toRGB converts any decoded image to an opaque *image.RGBA at (0, 0),
// decoding JPEG and lossy WebP colours as libjpeg and libwebp do.
// Transparent and translucent pixels are composited onto white: a model
// given a transparent PNG should see what a person sees in a viewer, not the
// arbitrary colour hidden under alpha 0. It reports whether any pixel was not
// opaque.
func toRGB(src image.Image, format string) (*image.RGBA, bool) {
	switch im := src.(type) {
	case *image.YCbCr:
		if format == "webp" {
			return webpToRGB(im, nil, 0), false
		}
		if format == "jpeg" {
			if dst := ycbcrToRGB(im); dst != nil {
				return dst, false
			}
		}
	case *image.NYCbCrA:
		if format == "webp" {
			return webpToRGB(&im.YCbCr, im.A, im.AStride), !im.Opaque()
		}
	}
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	if o, ok := src.(interface{ Opaque() bool }); ok && o.Opaque() {
		// draw.Src converts exactly (YCbCr, Gray, Paletted, NRGBA ... have
		// fast paths in image/draw).
		draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Src)
		return dst, false
	}
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Over)
	// Over leaves alpha at 255 over an opaque background, so dst is opaque;
	// the question is only whether src had any transparency.
	return dst, !isOpaque(src)
}

// isOpaque checks every pixel; used only for images whose Opaque method said
// no or that have none.
func isOpaque(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}

// onScreen places a frame at min on a white canvas the size of screen.
func onScreen(frame *image.RGBA, min image.Point, screen image.Rectangle) *image.RGBA {
	dst := image.NewRGBA(screen)
	draw.Draw(dst, screen, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, frame.Bounds().Add(min), frame, image.Point{}, draw.Src)
	return dst
}

// orient applies an EXIF orientation to an image stored as the camera
// sensor saw it, returning the upright image a viewer shows.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		for x := range dw {
			sx, sy := sourceOf(o, x, y, w, h)
			si := sy*src.Stride + 4*sx
			di := y*dst.Stride + 4*x
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// sourceOf maps an upright pixel (x, y) to the stored pixel for orientation
// o of a w x h stored image (EXIF 2.3, tag 0x0112; as PIL's exif_transpose).
func sourceOf(o, x, y, w, h int) (int, int) {
	switch o {
	case 2: // mirrored horizontally
		return w - 1 - x, y
	case 3: // rotated 180
		return w - 1 - x, h - 1 - y
	case 4: // mirrored vertically
		return x, h - 1 - y
	case 5: // transposed
		return y, x
	case 6: // stored rotated 90 counter-clockwise; turn it clockwise
		return y, h - 1 - x
	case 7: // transversed
		return w - 1 - y, h - 1 - x
	case 8: // stored rotated 90 clockwise; turn it counter-clockwise
		return w - 1 - y, x
	}
	return x, y
}
