package display

import (
	"image"

	"camscope/app/render"
)

// Closeup is one tile large: its own sharper copy of the photo, the
// overlay on it, and the feature cell under the pointer outlined.
type Closeup struct {
	Tile  *Tile
	Photo *image.RGBA // the plain photo copy
	Image *image.RGBA // the overlay, re-rendered by Show
	Scale float64     // copy pixels per photo pixel
	heat  *render.Heat
	cell  *image.Point // the outlined cell, if any
	view  View
}

// NewCloseup prepares tile t on small, a copy of the photo scaled by
// scale (Fit's, which the close-ups of one photo's tiles can share: it is
// only read), and renders it as v says.
func NewCloseup(t *Tile, small *image.RGBA, scale float64, v View) *Closeup {
	c := &Closeup{Tile: t, Photo: small, Scale: scale, Image: image.NewRGBA(small.Rect),
		heat: t.HeatAt(small.Rect.Size(), scale, v.Colormap), view: v}
	c.Show(v)
	return c
}

// Show re-renders the overlay for v (same normalisation as the tile's).
func (c *Closeup) Show(v View) {
	if v.Colormap != c.view.Colormap {
		c.heat.SetColormap(v.Colormap)
	}
	c.view = v
	Render(c.Image, c.Photo, c.heat, v)
	if c.cell != nil {
		render.DrawRect(c.Image, c.Tile.CellRect(*c.cell, c.Scale), cellColour, 2)
	}
}

// Reading is what the map says under a point of the close-up.
type Reading struct {
	Raw    float32     // the map's raw value
	Scaled float32     // the value as normalised for display
	Cell   image.Point // the feature-grid cell
	Grid   image.Point // the grid's width and height
}

// Point outlines the cell under pixel (x, y) of the close-up, or none when
// !in, re-rendering if that changed; ok is false outside the map's cover.
func (c *Closeup) Point(x, y float64, in bool) (r Reading, ok bool) {
	var cell image.Point
	if in {
		r.Raw, cell, ok = c.Tile.RawAt(x, y, c.Scale)
	}
	switch {
	case !ok && c.cell != nil:
		c.cell = nil
		c.Show(c.view)
	case ok && (c.cell == nil || *c.cell != cell):
		c.cell = &cell
		c.Show(c.view)
	}
	if !ok {
		return Reading{}, false
	}
	m := c.Tile.Scaled
	return Reading{Raw: r.Raw, Scaled: m.Data[cell.Y*m.W+cell.X], Cell: cell, Grid: image.Pt(m.W, m.H)}, true
}
