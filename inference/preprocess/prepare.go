package preprocess

import (
	"image"
	"image/draw"

	"camscope/inference/tensor"
)

// Prepare turns a photo into the model's input tensor under s, and says
// which part of the photo the tensor covers. The photo is read as opaque
// 8-bit RGB (alpha is ignored; flatten it first, as package app/photo does).
func Prepare(photo image.Image, s Spec) (*tensor.Tensor, Geometry, error) {
	b := photo.Bounds()
	g, err := Plan(b.Dx(), b.Dy(), s)
	if err != nil {
		return nil, Geometry{}, err
	}
	return ToTensor(Crop(photo, g), s), g, nil
}

// Crop returns the Width x Height RGB image the model sees under geometry g
// (from Plan): the photo resized, then center-cropped if g says so. It is
// also what a "show model input" view should display.
func Crop(photo image.Image, g Geometry) *image.RGBA {
	src := photo
	if r := g.Region.Add(photo.Bounds().Min); r != photo.Bounds() {
		rgba, ok := photo.(*image.RGBA)
		if !ok {
			rgba = image.NewRGBA(r)
			draw.Draw(rgba, r, photo, r.Min, draw.Src)
		}
		src = rgba.SubImage(r)
	}
	resized := Resize(src, g.ResizedWidth, g.ResizedHeight)
	if g.CropX == 0 && g.CropY == 0 && g.ResizedWidth == g.Width && g.ResizedHeight == g.Height {
		return resized
	}
	out := image.NewRGBA(image.Rect(0, 0, g.Width, g.Height))
	for y := range g.Height {
		si := resized.PixOffset(g.CropX, g.CropY+y)
		copy(out.Pix[y*out.Stride:y*out.Stride+4*g.Width], resized.Pix[si:si+4*g.Width])
	}
	return out
}

// ToTensor normalises an image already at the spec's size (as returned by
// Crop) into a float32 tensor of shape s.InputShape(). It panics if the
// image size differs from the spec: that is a programming error.
func ToTensor(img *image.RGBA, s Spec) *tensor.Tensor {
	w, h := s.Width, s.Height
	if img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		panic("preprocess: ToTensor needs an image of the spec's size")
	}
	// A lookup table per channel: 256 values, computed in float64 once, so
	// every pixel costs three loads.
	var lut [3][256]float32
	src := [3]int{0, 1, 2} // tensor channel c takes pixel component src[c]
	if s.BGR {
		src = [3]int{2, 1, 0}
	}
	for c := range 3 {
		for p := range 256 {
			lut[c][p] = float32((float64(p)/255 - s.Mean[c]) / s.Std[c])
		}
	}
	t := tensor.New(s.InputShape()...)
	plane := w * h
	b := img.Bounds()
	for y := range h {
		row := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		for x := range w {
			px := row[4*x : 4*x+3]
			i := y*w + x
			if s.Layout == NHWC {
				for c := range 3 {
					t.F[3*i+c] = lut[c][px[src[c]]]
				}
			} else {
				for c := range 3 {
					t.F[c*plane+i] = lut[c][px[src[c]]]
				}
			}
		}
	}
	return t
}
