package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Rows lays out compare rows one under the other from the top, each as
// high as its content: a header of height Header above (or a side of
// width Side left of) one row of Grid's cells. The cells are as large as
// the width and the height of all rows allow, so no band of empty space
// is left between rows, and spread over the width (each row's own grid
// must have Spread too).
type Rows struct {
	Grid   *AspectGrid
	Header float32
	Side   float32
}

// cell returns the size of one tile cell for n rows in size, rows apart by
// one padding (Grid's rows are two apart).
func (l *Rows) cell(n int, size fyne.Size) fyne.Size {
	g := *l.Grid
	g.Spread = true
	cell, _ := g.Cell(n*g.Columns, fyne.NewSize(size.Width-l.Side, size.Height-float32(n)*l.Header+float32(n-1)*theme.Padding()))
	return cell
}

// Layout places the rows.
func (l *Rows) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	if len(objects) == 0 || l.Grid.Columns == 0 {
		return
	}
	h := l.Header + l.cell(len(objects), size).Height
	y := float32(0)
	for _, o := range objects {
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h + theme.Padding()
	}
}

// MinSize lets the window shrink, as AspectGrid's.
func (l *Rows) MinSize(objects []fyne.CanvasObject) fyne.Size {
	return l.Grid.MinSize(objects)
}
