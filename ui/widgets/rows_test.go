package widgets

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// TestRowsLeaveNoBands: in a tall space, rows of wide tiles follow one
// another one padding apart, each as high as its header and cells, instead
// of equal shares of the height.
func TestRowsLeaveNoBands(t *testing.T) {
	test.NewTempApp(t)
	g := &AspectGrid{Aspect: 2, Columns: 5, Captions: Captions{One: 30}, Top: true}
	l := &Rows{Grid: g, Header: 20}
	rows := make([]fyne.CanvasObject, 3)
	for i := range rows {
		rows[i] = canvas.NewRectangle(nil)
	}
	size := fyne.NewSize(700, 2000)
	l.Layout(rows, size)
	cell, _ := g.Cell(5, fyne.NewSize(size.Width, size.Height))
	for i, r := range rows {
		if want := l.Header + cell.Height; r.Size().Height != want {
			t.Errorf("row %d: height %v, want %v", i, r.Size().Height, want)
		}
		if i > 0 {
			prev := rows[i-1]
			if gap := r.Position().Y - prev.Position().Y - prev.Size().Height; gap != theme.Padding() {
				t.Errorf("row %d: %v between it and the row above, want %v", i, gap, theme.Padding())
			}
		}
	}
}
