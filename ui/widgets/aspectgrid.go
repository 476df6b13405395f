package widgets

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// AspectGrid lays out tiles whose pictures have the aspect ratio Aspect
// (width / height) plus a caption of Captions' height below (two lines
// in narrow cells), as large as the
// space allows. With Columns 0 it picks the number of columns that makes
// the pictures largest; otherwise it uses Columns (one row per model when
// comparing). Cells are centred in the space.
type AspectGrid struct {
	Aspect   float32
	Columns  int
	Captions Captions
	Top      bool // align the cells to the top instead of centring them
	Leading  bool // align the cells to the left instead of centring them
	// Spread widens the cells to the width when the height limits the
	// pictures, so that the captions under them have that room (the
	// compare rows).
	Spread bool
}

// Cell returns the size of one cell for n objects in size, and the columns.
func (g *AspectGrid) Cell(n int, size fyne.Size) (fyne.Size, int) {
	if n == 0 {
		return fyne.Size{}, 0
	}
	pad := theme.Padding() * 2
	aspect := g.Aspect
	if aspect <= 0 {
		aspect = 4.0 / 3
	}
	best, bestCols := fyne.Size{}, 1
	try := func(cols int) {
		rows := (n + cols - 1) / cols
		rowH := (size.Height - float32(rows-1)*pad) / float32(rows)
		// The picture as large as the width and the row allow, with the
		// caption a cell of its width has: a cell too narrow for one line
		// with one line's caption is narrower still with two.
		fit := func(w, caption float32) (float32, float32) {
			h := w / aspect
			if avail := rowH - caption; h > avail {
				h = avail
				w = h * aspect
			}
			return float32(math.Floor(float64(w))), float32(math.Floor(float64(h)))
		}
		width := (size.Width - float32(cols-1)*pad) / float32(cols)
		w, h := fit(width, g.Captions.One)
		cell := w
		if g.Spread {
			cell = max(w, float32(math.Floor(float64(width))))
		}
		caption := g.Captions.Height(cell)
		if caption != g.Captions.One {
			w, h = fit(w, caption)
			if !g.Spread {
				cell = w
			}
		}
		if cell > best.Width {
			best, bestCols = fyne.NewSize(cell, h+caption), cols
		}
	}
	if g.Columns > 0 {
		try(g.Columns)
	} else {
		for cols := 1; cols <= n; cols++ {
			try(cols)
		}
	}
	return best, bestCols
}

// Layout places the objects row by row.
func (g *AspectGrid) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	cell, cols := g.Cell(len(objects), size)
	if cols == 0 {
		return
	}
	pad := theme.Padding() * 2
	rows := (len(objects) + cols - 1) / cols
	usedW := float32(cols)*cell.Width + float32(cols-1)*pad
	usedH := float32(rows)*cell.Height + float32(rows-1)*pad
	x0, y0 := max(0, (size.Width-usedW)/2), max(0, (size.Height-usedH)/2)
	if g.Top {
		y0 = 0
	}
	if g.Leading {
		x0 = 0
	}
	for i, o := range objects {
		r, c := i/cols, i%cols
		o.Move(fyne.NewPos(x0+float32(c)*(cell.Width+pad), y0+float32(r)*(cell.Height+pad)))
		o.Resize(cell)
	}
}

// MinSize lets the window shrink: tiles get smaller, never hidden.
func (g *AspectGrid) MinSize(objects []fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(200, 150)
}
