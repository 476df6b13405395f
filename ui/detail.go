package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/ui/widgets"
)

// detailSide is the longest side of the large view's pictures.
const detailSide = 1024

// detail is the large view of one tile: the plain photo beside the overlay,
// with the raw map value under the pointer.
type detail struct {
	a       *App
	index   int
	closeup *display.Closeup
	overlay *widgets.HoverImage
	plain   *widgets.HoverImage
	value   *widget.Label
	title   *widget.Label
	root    fyne.CanvasObject
}

// OpenDetail shows tile i large.
func (a *App) OpenDetail(i int) {
	scene := a.s.Scene()
	if scene == nil || i < 0 || i >= len(a.tiles) {
		return
	}
	t := scene.Tiles()[i]
	d := &detail{a: a, index: i, closeup: display.NewCloseup(t, a.s.Photo().Image, detailSide, a.s.View())}
	d.overlay = widgets.NewHoverImage(d.closeup.Image)
	d.plain = widgets.NewHoverImage(d.closeup.Photo)
	d.value = widget.NewLabel(pointHint)
	d.overlay.OnHover = d.hover
	d.plain.OnHover = d.hover
	back := widget.NewButtonWithIcon("All classes", theme.NavigateBackIcon(), a.closeDetail)
	d.title = widget.NewLabelWithStyle(t.Result.Model.Name+" · "+display.FullTitle(t.Class)+"  "+display.Percent(t.Class.Prob), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	// A long label wraps: the window never grows to fit it.
	d.title.Wrapping = fyne.TextWrapWord
	exportTile := widget.NewButtonWithIcon("Save tile…", theme.DocumentSaveIcon(), func() { a.exportTileDialog(i) })
	top := container.NewBorder(nil, nil, back, exportTile, d.title)
	d.root = container.NewBorder(top, d.value, nil, nil, container.NewGridWithColumns(2, d.plain, d.overlay))
	a.detail = d
	a.center.Objects = []fyne.CanvasObject{d.root}
	a.center.Refresh()
}

const pointHint = "Point at the picture to read the map."

// closeDetail returns to the grid.
func (a *App) closeDetail() {
	if a.detail == nil {
		return
	}
	a.detail = nil
	a.center.Objects = []fyne.CanvasObject{a.grid, a.emptyBox}
	a.center.Refresh()
}

// show re-renders the overlay for the current view.
func (d *detail) show() {
	d.closeup.Show(d.a.s.View())
	d.overlay.Image.Refresh()
}

// hover shows the raw map value under the pointer (x, y in large-view
// pixels; ok is false when the pointer left).
func (d *detail) hover(x, y float64, ok bool) {
	r, in := d.closeup.Point(x, y, ok)
	d.overlay.Image.Refresh()
	switch {
	case !ok:
		d.value.SetText(pointHint)
	case !in:
		d.value.SetText("Outside the part of the photo the model saw.")
	default:
		d.value.SetText(fmt.Sprintf("Map value %.4g at cell (%d, %d) of %d×%d · scaled %.2f", r.Raw, r.Cell.X, r.Cell.Y, r.Grid.X, r.Grid.Y, r.Scaled))
	}
}
