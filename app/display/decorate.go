package display

import (
	"image"
	"image/color"

	"camscope/app/render"
)

// boxColour and contourColour are chosen to stand out on every colormap
// and from each other: a white box, a yellow contour drawn over a black
// one a little wider; cellColour outlines the feature cell under the
// pointer.
var (
	boxColour     = color.RGBA{255, 255, 255, 255}
	contourColour = color.RGBA{255, 221, 0, 255}
	contourEdge   = color.RGBA{0, 0, 0, 255}
	cellColour    = color.White
)

// Render draws heat h over photo into dst (both of the heat's size) as v
// says: blend at v.Opacity, then the box and contour.
func Render(dst, photo *image.RGBA, h *render.Heat, v View) {
	h.Blend(dst, photo, v.Opacity)
	var b image.Rectangle
	ok := false
	if v.Box {
		b, ok = box(h, v.BoxThreshold)
	}
	decorate(dst, h, v, b, ok)
}

// Overlay is Render into a new image.
func Overlay(photo *image.RGBA, h *render.Heat, v View) *image.RGBA {
	out := image.NewRGBA(photo.Bounds())
	Render(out, photo, h, v)
	return out
}

// decorate draws the contour and the box b (if ok) that v asks for onto an
// overlay, with lines that grow with the picture.
func decorate(dst *image.RGBA, h *render.Heat, v View, b image.Rectangle, ok bool) {
	width := max(1, min(dst.Bounds().Dx(), dst.Bounds().Dy())/150)
	if v.Contour {
		render.DrawContour(dst, h.Values(), float32(v.BoxThreshold), contourEdge, float64(width+2))
		render.DrawContour(dst, h.Values(), float32(v.BoxThreshold), contourColour, float64(width))
	}
	if v.Box && ok {
		render.DrawRect(dst, b, boxColour, width)
	}
}

// box is the CAM paper's localisation box on h's picture: around the
// largest connected region above threshold.
func box(h *render.Heat, threshold float64) (image.Rectangle, bool) {
	return render.ThresholdBox(h.Values(), float32(threshold))
}
