package explain

import (
	"image"
	"image/color"

	"camscope/app/render"
)

// View says how maps are shown. Changing it never re-runs the model.
type View struct {
	Colormap *render.Colormap
	Opacity  float64 // heat over photo: out = a*heat + (1-a)*photo
	// Shared puts all maps of a result on one scale (so classes compare);
	// otherwise each map is scaled to its own minimum and maximum.
	Shared bool
	// ReLU drops negative evidence before scaling (Grad-CAM's convention,
	// and what the CAM paper's 20% threshold assumes).
	ReLU bool
	// Box draws the CAM paper's localisation: the box around the largest
	// connected region above BoxThreshold of the scaled map.
	Box          bool
	BoxThreshold float64
	Contour      bool // outline the same region
}

// DefaultView is what the program shows first.
func DefaultView() View {
	return View{Colormap: render.Jet, Opacity: 0.5, ReLU: true, Box: false, BoxThreshold: DefaultBoxThreshold}
}

// DefaultBoxThreshold is the CAM paper's: 20% of the map's maximum.
const DefaultBoxThreshold = 0.2

// Scaled returns each class's map scaled to [0,1] as v says.
func (r *Result) Scaled(v View) []render.Map {
	maps := make([]render.Map, len(r.Classes))
	for i, c := range r.Classes {
		maps[i] = c.RenderMap()
	}
	if v.Shared {
		return render.NormalizeShared(v.ReLU, maps...)
	}
	for i := range maps {
		maps[i] = render.Normalize(maps[i], v.ReLU)
	}
	return maps
}

// Heats returns, for each class, its scaled map upsampled onto the photo
// and coloured: the per-map cache from which overlays are blended.
func (r *Result) Heats(v View, photoSize image.Point) []*render.Heat {
	scaled := r.Scaled(v)
	heats := make([]*render.Heat, len(scaled))
	for i, m := range scaled {
		heats[i] = render.NewHeat(m, r.Cover(), photoSize, v.Colormap)
	}
	return heats
}

// Box returns class i's localisation box in photo pixels, from its heat.
func Box(h *render.Heat, threshold float64) (image.Rectangle, bool) {
	return render.ThresholdBox(h.Values(), float32(threshold))
}

// boxColour and contourColour are chosen to stand out on every colormap.
var (
	boxColour     = color.RGBA{255, 255, 255, 255}
	contourColour = color.RGBA{255, 255, 255, 230}
)

// Overlay blends heat over the photo and draws the box or contour v asks
// for, into a new image.
func Overlay(photo *image.RGBA, h *render.Heat, v View) *image.RGBA {
	out := image.NewRGBA(photo.Bounds())
	h.Blend(out, photo, v.Opacity)
	Decorate(out, h, v)
	return out
}

// Decorate draws the box and contour v asks for onto an overlay.
func Decorate(dst *image.RGBA, h *render.Heat, v View) {
	width := max(1, min(dst.Bounds().Dx(), dst.Bounds().Dy())/150)
	if v.Contour {
		render.DrawContour(dst, h.Values(), float32(v.BoxThreshold), contourColour, float64(width))
	}
	if v.Box {
		if b, ok := Box(h, v.BoxThreshold); ok {
			render.DrawRect(dst, b, boxColour, width)
		}
	}
}

// Overlays renders every class of the result.
func (r *Result) Overlays(v View) []*image.RGBA {
	photo := r.photoOrBlank()
	heats := r.Heats(v, photo.Bounds().Size())
	out := make([]*image.RGBA, len(heats))
	for i, h := range heats {
		out[i] = Overlay(photo, h, v)
	}
	return out
}

// Grid lays the overlays out with their titles.
func (r *Result) Grid(v View, columns int) *image.RGBA {
	overlays := r.Overlays(v)
	tiles := make([]render.Tile, len(overlays))
	for i, img := range overlays {
		tiles[i] = render.Tile{Image: img, Title: r.Classes[i].Title()}
	}
	return render.Grid(tiles, render.GridOptions{Columns: columns})
}

// Title is a tile's caption, e.g. "1. tabby 36.6%".
func (e Explained) Title() string {
	if e.Rank > 0 {
		return itoa(e.Rank) + ". " + e.Label + " " + Percent(e.Prob)
	}
	return e.Label + " " + Percent(e.Prob)
}

// photoOrBlank is the photo, or for a tensor input a mid-grey canvas of the
// tensor's size on which the maps are drawn.
func (r *Result) photoOrBlank() *image.RGBA {
	if r.Photo != nil {
		return r.Photo
	}
	img := image.NewRGBA(image.Rect(0, 0, r.Geometry.PhotoWidth, r.Geometry.PhotoHeight))
	for i := range img.Pix {
		img.Pix[i] = 128
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}
