package display

import (
	"image"

	"camscope/app/render"
	"camscope/inference/preprocess"
)

// Placement puts a feature-grid map on a copy of the photo scaled Scale
// display pixels per photo pixel. Where the grid lies on the photo is the
// preprocessing geometry's business (preprocess.Geometry: the grid covers
// the model's input uniformly, and the input covers Geo.Crop); Placement
// only scales its answers to the copy.
type Placement struct {
	Geo   preprocess.Geometry
	Scale float64
}

// Cover is the part of the copy, in display pixels, that the map covers:
// the whole photo for a stretched input, the crop for a center-cropped one.
func (p Placement) Cover() render.Rect {
	c := p.Geo.Crop
	return render.Rect{X: c.X0 * p.Scale, Y: c.Y0 * p.Scale, W: c.Dx() * p.Scale, H: c.Dy() * p.Scale}
}

// Heat upsamples the normalised map m over its cover on a copy of the
// given size and colours it with cm. render.Upsample spreads the grid
// uniformly over the cover, which is Geometry.GridToPhoto's mapping.
func (p Placement) Heat(m render.Map, size image.Point, cm *render.Colormap) *render.Heat {
	return render.NewHeat(m, p.Cover(), size, cm)
}

// Cell returns the cell of a gw x gh grid under display pixel (x, y); ok
// is false outside the map's cover.
func (p Placement) Cell(x, y float64, gw, gh int) (cell image.Point, ok bool) {
	g := p.Geo
	if !(g.Width > 0 && g.Height > 0 && g.Crop.Dx() > 0 && g.Crop.Dy() > 0 && p.Scale > 0) {
		return image.Point{}, false
	}
	gx, gy := g.PhotoToGrid(x/p.Scale, y/p.Scale, gw, gh)
	if !(gx >= 0 && gy >= 0 && gx < float64(gw) && gy < float64(gh)) {
		return image.Point{}, false
	}
	return image.Pt(min(int(gx), gw-1), min(int(gy), gh-1)), true
}

// CellRect returns the display pixels of cell of a gw x gh grid.
func (p Placement) CellRect(cell image.Point, gw, gh int) image.Rectangle {
	r := p.Geo.GridCell(cell.X, cell.Y, gw, gh)
	s := p.Scale
	return image.Rect(int(r.X0*s+0.5), int(r.Y0*s+0.5), int(r.X1*s+0.5), int(r.Y1*s+0.5))
}
