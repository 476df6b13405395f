package shapes

import "image"

// Preprocessing is the normalisation the built-in model expects, written
// into its metadata: NCHW float32, RGB order, x = pixel/255, no mean or std.
const Preprocessing = "RGB, NCHW, x = pixel/255 (range [0,1]), no mean/std, image resized to the input size"

// ToCHW writes img as planar RGB floats in [0, 1] into dst, which must hold
// 3*w*h values, and returns dst.
func ToCHW(dst []float32, img *image.NRGBA) []float32 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if len(dst) < 3*w*h {
		panic("shapes: ToCHW destination too small")
	}
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			i := y*w + x
			dst[i] = float32(row[4*x]) / 255
			dst[w*h+i] = float32(row[4*x+1]) / 255
			dst[2*w*h+i] = float32(row[4*x+2]) / 255
		}
	}
	return dst[:3*w*h]
}
