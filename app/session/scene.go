package session

import (
	"image"

	"golang.org/x/image/draw"

	"camscope/app/explain"
	"camscope/app/render"
)

// DisplaySide is the longest side, in pixels, of the photo copy that tiles
// are rendered from: large enough for a sharp tile on a big screen, small
// enough that a slider move re-blends every tile within a frame.
const DisplaySide = 480

// MinDisplaySide is the side small photos are enlarged to (smoothly) so
// that a 64-pixel scene does not turn into blocks on screen.
const MinDisplaySide = 320

// Scene is what the tile grid shows: a display-sized copy of the photo and,
// per model (row) and class, the map prepared for blending. It is built once
// per result and normalisation; opacity, colormap, box and contour changes
// re-render from it without running the model.
type Scene struct {
	Photo *image.RGBA // the photo scaled to display size
	Rows  [][]*Tile   // one row per result, one tile per class
	Scale float64     // display pixels per photo pixel
}

// Tile is one class of one result ready to draw.
type Tile struct {
	Result *explain.Result
	Class  explain.Explained
	Scaled render.Map   // the map scaled to [0,1] as the view says
	Heat   *render.Heat // Scaled, upsampled onto Scene.Photo and coloured
	cover  render.Rect  // the map's cover in photo pixels
}

// NewScene prepares results (all on the same photo) for display at most
// maxSide pixels wide or high. With v.Shared every map of every result is
// put on one scale, so that classes and models compare.
func NewScene(photo *image.RGBA, results []*explain.Result, v explain.View, maxSide int) *Scene {
	small, scale := Fit(photo, min(MinDisplaySide, maxSide), maxSide)
	return newScene(small, scale, results, v)
}

// Rescale prepares the same results again for a view with another
// normalisation, reusing the display-sized photo.
func (s *Scene) Rescale(results []*explain.Result, v explain.View) *Scene {
	return newScene(s.Photo, s.Scale, results, v)
}

func newScene(small *image.RGBA, scale float64, results []*explain.Result, v explain.View) *Scene {
	s := &Scene{Photo: small, Scale: scale}
	var maps []render.Map
	for _, r := range results {
		for _, c := range r.Classes {
			maps = append(maps, c.RenderMap())
		}
	}
	if v.Shared {
		maps = render.NormalizeShared(v.ReLU, maps...)
	} else {
		for i := range maps {
			maps[i] = render.Normalize(maps[i], v.ReLU)
		}
	}
	k := 0
	for _, r := range results {
		row := make([]*Tile, len(r.Classes))
		for i, c := range r.Classes {
			t := &Tile{Result: r, Class: c, Scaled: maps[k], cover: r.Cover()}
			t.Heat = t.HeatAt(small.Rect.Size(), scale, v.Colormap)
			row[i] = t
			k++
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}

// Tiles returns every tile, row by row.
func (s *Scene) Tiles() []*Tile {
	var out []*Tile
	for _, row := range s.Rows {
		out = append(out, row...)
	}
	return out
}

// SetColormap re-colours every tile.
func (s *Scene) SetColormap(cm *render.Colormap) {
	for _, t := range s.Tiles() {
		t.Heat.SetColormap(cm)
	}
}

// HeatAt prepares the tile's map for a copy of the photo of the given size,
// scale display pixels per photo pixel (for the large view).
func (t *Tile) HeatAt(size image.Point, scale float64, cm *render.Colormap) *render.Heat {
	c := t.cover
	return render.NewHeat(t.Scaled, render.Rect{X: c.X * scale, Y: c.Y * scale, W: c.W * scale, H: c.H * scale}, size, cm)
}

// Render draws the tile over photo into dst (both of the heat's size) as v
// says: blend, then box and contour.
func Render(dst, photo *image.RGBA, h *render.Heat, v explain.View) {
	h.Blend(dst, photo, v.Opacity)
	explain.Decorate(dst, h, v)
}

// RawAt returns the raw (unscaled) map value under photo pixel (x, y),
// given in display pixels at the given scale, and the feature-grid cell;
// ok is false outside the map's cover.
func (t *Tile) RawAt(x, y, scale float64) (v float32, cell image.Point, ok bool) {
	px, py := x/scale, y/scale
	c := t.cover
	if px < c.X || py < c.Y || px >= c.X+c.W || py >= c.Y+c.H || c.W <= 0 || c.H <= 0 {
		return 0, image.Point{}, false
	}
	m := t.Class.Map
	i := min(int((px-c.X)/c.W*float64(m.W)), m.W-1)
	j := min(int((py-c.Y)/c.H*float64(m.H)), m.H-1)
	return m.Data[j*m.W+i], image.Pt(i, j), true
}

// CellRect returns feature-grid cell's rectangle in display pixels at the
// given scale.
func (t *Tile) CellRect(cell image.Point, scale float64) image.Rectangle {
	c, m := t.cover, t.Class.Map
	cw, ch := c.W/float64(m.W), c.H/float64(m.H)
	x0, y0 := (c.X+float64(cell.X)*cw)*scale, (c.Y+float64(cell.Y)*ch)*scale
	return image.Rect(int(x0+0.5), int(y0+0.5), int(x0+cw*scale+0.5), int(y0+ch*scale+0.5))
}

// Fit returns img scaled (bilinear) so that its longer side is between
// minSide and maxSide, and the scale factor; img itself when it already
// is.
func Fit(img *image.RGBA, minSide, maxSide int) (*image.RGBA, float64) {
	b := img.Rect
	side := max(b.Dx(), b.Dy())
	target := side
	switch {
	case side == 0:
	case side > maxSide:
		target = maxSide
	case side < minSide:
		target = minSide
	}
	if target == side {
		return render.ToRGBA(img), 1
	}
	scale := float64(target) / float64(side)
	w, h := max(1, int(float64(b.Dx())*scale+0.5)), max(1, int(float64(b.Dy())*scale+0.5))
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.BiLinear.Scale(out, out.Rect, img, b, draw.Src, nil)
	return out, float64(w) / float64(b.Dx())
}
