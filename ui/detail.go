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

// detailAsyncPixels is the photo size from which the large view's pictures
// are made off the UI goroutine: scaling a 42-megapixel photo down takes
// over a second, which would freeze the window.
const detailAsyncPixels = 4 << 20

// detail is the large view of one tile: the plain photo beside the overlay,
// with the raw map value under the pointer.
type detail struct {
	a       *App
	index   int
	closeup *display.Closeup // nil while it is being made
	overlay *widgets.HoverImage
	plain   *widgets.HoverImage
	value   *widget.Label
	title   *widget.Label
	pics    *fyne.Container // the two pictures, or a note while they are made
	root    fyne.CanvasObject
	ready   chan struct{} // closed once the pictures are shown
}

// OpenDetail shows tile i large. For a large photo the pictures are made
// off the UI goroutine: the view opens at once with a note, and the
// pictures follow.
func (a *App) OpenDetail(i int) {
	scene := a.s.Scene()
	if scene == nil || i < 0 || i >= len(a.tiles) {
		return
	}
	t := scene.Tiles()[i]
	d := &detail{a: a, index: i, ready: make(chan struct{})}
	d.value = widget.NewLabel(pointHint)
	back := widget.NewButtonWithIcon("All classes", theme.NavigateBackIcon(), a.closeDetail)
	d.title = widget.NewLabelWithStyle(t.Result.Model.Name+" · "+display.FullTitle(t.Class)+"  "+display.Percent(t.Class.Prob), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	// A long label wraps: the window never grows to fit it.
	d.title.Wrapping = fyne.TextWrapWord
	exportTile := widget.NewButtonWithIcon("Save tile…", theme.DocumentSaveIcon(), func() { a.exportTileDialog(i) })
	top := container.NewBorder(nil, nil, back, exportTile, d.title)
	d.pics = container.NewStack()
	d.root = container.NewBorder(top, d.value, nil, nil, d.pics)
	a.detail = d
	// The arrow keys go to the window (next class), not to a control.
	a.Window.Canvas().Unfocus()
	a.center.Objects = []fyne.CanvasObject{d.root}
	a.center.Refresh()
	photo, view := a.s.Photo().Image, a.s.View()
	if photo.Rect.Dx()*photo.Rect.Dy() < detailAsyncPixels {
		d.setCloseup(display.NewCloseup(t, photo, detailSide, view))
		return
	}
	wait := widget.NewActivity()
	wait.Start()
	d.pics.Objects = []fyne.CanvasObject{container.NewCenter(container.NewVBox(wait,
		widget.NewLabel(fmt.Sprintf("Scaling the %d×%d photo for the large view…", photo.Rect.Dx(), photo.Rect.Dy()))))}
	go func() {
		c := display.NewCloseup(t, photo, detailSide, view)
		a.opts.Do(func() {
			wait.Stop()
			if a.detail == d {
				c.Show(a.s.View()) // the view may have changed meanwhile
				d.setCloseup(c)
			}
		})
	}()
}

// setCloseup shows c's pictures.
func (d *detail) setCloseup(c *display.Closeup) {
	d.closeup = c
	d.overlay = widgets.NewHoverImage(c.Image)
	d.plain = widgets.NewHoverImage(c.Photo)
	d.overlay.OnHover = d.hover
	d.plain.OnHover = d.hover
	d.pics.Objects = []fyne.CanvasObject{container.NewGridWithColumns(2, d.plain, d.overlay)}
	d.pics.Refresh()
	close(d.ready)
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

// stepDetail shows the large view of the tile step places on (wrapping
// around): the next or previous class.
func (a *App) stepDetail(step int) {
	if a.detail == nil || len(a.tiles) == 0 {
		return
	}
	n := len(a.tiles)
	a.OpenDetail(((a.detail.index+step)%n + n) % n)
}

// show re-renders the overlay for the current view.
func (d *detail) show() {
	if d.closeup == nil {
		return
	}
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
