package display

import (
	"image"

	"camscope/app/render"
)

// maxColumns is the widest grid of a single row of tiles.
const maxColumns = 5

// grid lays rows of tiles out as one picture: a single row wraps at
// maxColumns; several rows (one per model) keep one row each, the shorter
// ones padded with blank cells.
func grid(rows [][]render.Tile) *image.RGBA {
	var tiles []render.Tile
	cols := 0
	for _, row := range rows {
		cols = max(cols, len(row))
	}
	for _, row := range rows {
		tiles = append(tiles, row...)
		for range cols - len(row) {
			tiles = append(tiles, render.Tile{Image: image.NewRGBA(image.Rect(0, 0, 1, 1))})
		}
	}
	if len(rows) == 1 {
		cols = min(len(tiles), maxColumns)
	}
	return render.Grid(tiles, render.GridOptions{Columns: cols})
}

// Grid renders the scene's tiles as v says on photo (scale pixels per
// photo pixel; the full photo at 1 for an export), captioned, as one
// picture: one row per model or method when comparing, its name before
// each caption.
func (s *Scene) Grid(photo *image.RGBA, scale float64, v View) *image.RGBA {
	methods := len(s.Rows) > 1 && s.Rows[0][0].Result.Model == s.Rows[1][0].Result.Model
	rows := make([][]render.Tile, len(s.Rows))
	for i, row := range s.Rows {
		for _, t := range row {
			title := ShortTitle(t.Class) + " " + Percent(t.Class.Prob)
			switch {
			case methods:
				title = string(t.Result.Request.Method) + ": " + title
			case len(s.Rows) > 1:
				title = t.Result.Model.Name + ": " + title
			}
			rows[i] = append(rows[i], render.Tile{Image: t.OverlayAt(photo, scale, v), Title: title})
		}
	}
	return grid(rows)
}
