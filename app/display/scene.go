package display

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

// Scene is the tile grid: a copy of the photo and, per result (row) and
// class, the map normalised, placed and coloured for blending, and the
// tile's picture. It is built once per result and normalisation; opacity,
// colormap, box and contour changes re-render from it without running the
// model.
type Scene struct {
	Photo *image.RGBA // the photo copy the tiles are drawn on
	Rows  [][]*Tile   // one row per result, one tile per class
	Scale float64     // copy pixels per photo pixel
	View  View        // the view the tiles were last rendered for
}

// Tile is one class of one result.
type Tile struct {
	Result *explain.Result
	Class  explain.Explained
	Scaled render.Map   // the map normalised as the view says
	Heat   *render.Heat // Scaled placed on Scene.Photo and coloured
	Image  *image.RGBA  // the tile's picture: Heat over Scene.Photo, decorated
}

// NewScene prepares results (all on the same photo) for display at most
// maxSide pixels wide or high, and renders the tiles, their maps scaled as
// v.Scale says (see Normalize).
func NewScene(photo *image.RGBA, results []*explain.Result, v View, maxSide int) *Scene {
	small, scale := Fit(photo, min(MinDisplaySide, maxSide), maxSide)
	return newScene(small, scale, results, v)
}

// Rescale prepares the same results again for a view with another
// normalisation, reusing the photo copy.
func (s *Scene) Rescale(results []*explain.Result, v View) *Scene {
	return newScene(s.Photo, s.Scale, results, v)
}

func newScene(photo *image.RGBA, scale float64, results []*explain.Result, v View) *Scene {
	s := &Scene{Photo: photo, Scale: scale, View: v}
	maps := Normalize(v, results...)
	for j, r := range results {
		row := make([]*Tile, len(r.Classes))
		for i, c := range r.Classes {
			t := &Tile{Result: r, Class: c, Scaled: maps[j][i], Image: image.NewRGBA(photo.Rect)}
			t.Heat = t.HeatAt(photo.Rect.Size(), scale, v.Colormap)
			Render(t.Image, photo, t.Heat, v)
			row[i] = t
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

// Columns is the width of the grid: the longest row.
func (s *Scene) Columns() int {
	cols := 0
	for _, r := range s.Rows {
		cols = max(cols, len(r))
	}
	return cols
}

// Show re-renders every tile's picture for v, re-colouring first if the
// colormap changed. v must normalise as the scene does (see Fits).
func (s *Scene) Show(v View) {
	recolour := v.Colormap != s.View.Colormap
	s.View = v
	for _, t := range s.Tiles() {
		if recolour {
			t.Heat.SetColormap(v.Colormap)
		}
		Render(t.Image, s.Photo, t.Heat, v)
	}
}

// Fits reports whether the scene's maps are normalised as v says, so that
// Show can render v from them; otherwise Rescale first.
func (s *Scene) Fits(v View) bool { return sameScale(s.View, v) }

// Placement is where the tile's map lies on a photo copy scale pixels per
// photo pixel.
func (t *Tile) Placement(scale float64) Placement {
	return Placement{Geo: t.Result.Geometry, Scale: scale}
}

// HeatAt places and colours the tile's map on another copy of the photo
// of the given size, scale pixels per photo pixel (the large view, full
// size exports).
func (t *Tile) HeatAt(size image.Point, scale float64, cm *render.Colormap) *render.Heat {
	return t.Placement(scale).Heat(t.Scaled, size, cm)
}

// OverlayAt renders the tile as v says on another copy of the photo,
// scale pixels per photo pixel.
func (t *Tile) OverlayAt(photo *image.RGBA, scale float64, v View) *image.RGBA {
	return Overlay(photo, t.HeatAt(photo.Rect.Size(), scale, v.Colormap), v)
}

// RawAt returns the raw (unscaled) map value under pixel (x, y) of a copy
// of the photo at the given scale, and the feature-grid cell; ok is false
// outside the map's cover.
func (t *Tile) RawAt(x, y, scale float64) (v float32, cell image.Point, ok bool) {
	m := t.Class.Map
	cell, ok = t.Placement(scale).Cell(x, y, m.W, m.H)
	if !ok {
		return 0, image.Point{}, false
	}
	return m.Data[cell.Y*m.W+cell.X], cell, true
}

// CellRect returns a feature-grid cell's rectangle on a copy of the photo
// at the given scale.
func (t *Tile) CellRect(cell image.Point, scale float64) image.Rectangle {
	return t.Placement(scale).CellRect(cell, t.Class.Map.W, t.Class.Map.H)
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
