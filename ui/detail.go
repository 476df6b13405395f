package ui

import (
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/ui/widgets"
)

// detailSide is the longest side of the large view's pictures.
const detailSide = 1024

// detailAsyncPixels is the photo size from which the large view's copy of
// the photo is made off the UI goroutine: scaling a 42-megapixel photo down
// takes over a second, which would freeze the window.
const detailAsyncPixels = 2 << 20

// largeCopy is the large view's copy of a photo (longer side detailSide/2
// to detailSide), shared by the large views of its tiles.
type largeCopy struct {
	src, small *image.RGBA
	scale      float64
}

// detail is the large view of one tile: the plain photo beside the overlay,
// with the raw map value under the pointer.
type detail struct {
	a       *App
	index   int
	tile    *display.Tile
	closeup *display.Closeup // nil while the photo's copy is being made
	overlay *widgets.HoverImage
	plain   *widgets.HoverImage
	value   *widget.Label
	title   *widget.Label
	pics    *fyne.Container // the two pictures, or a note while they are made
	metrics *metricsPanel   // the map's faithfulness (metrics.go)
	// occlude and layers open the experiments on the tile (occlusion.go,
	// scrubber.go).
	occlude, layers *widget.Button
	root            fyne.CanvasObject
	ready           chan struct{} // closed once the pictures are shown
}

// OpenDetail shows tile i large. While a large photo's copy is still being
// made off the UI goroutine, the view opens at once with a note, and the
// pictures follow.
func (a *App) OpenDetail(i int) {
	scene := a.s.Scene()
	if scene == nil || i < 0 || i >= len(a.tiles) {
		return
	}
	a.closeExperiments()
	t := scene.Tiles()[i]
	d := &detail{a: a, index: i, tile: t, ready: make(chan struct{})}
	d.value = widget.NewLabel(pointHint)
	back := widget.NewButtonWithIcon("All classes", theme.NavigateBackIcon(), a.closeDetail)
	d.title = widget.NewLabelWithStyle(t.Result.Model.Name+" · "+display.FullTitle(t.Class)+"  "+display.Percent(t.Class.Prob), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	// A long label wraps: the window never grows to fit it.
	d.title.Wrapping = fyne.TextWrapWord
	exportTile := widget.NewButtonWithIcon("Save tile…", theme.DocumentSaveIcon(), func() { a.exportTileDialog(i) })
	d.occlude = widget.NewButton("Occlusion", func() { a.OpenOcclusion(i) })
	d.layers = widget.NewButton("Layers", func() { a.OpenScrubber(i) })
	top := container.NewBorder(nil, nil, back, container.NewHBox(d.occlude, d.layers, exportTile), d.title)
	d.pics = container.NewStack()
	d.metrics = a.newMetricsPanel(t)
	d.root = container.NewBorder(top, container.NewVBox(d.metrics.root, d.value), nil, nil, d.pics)
	a.detail = d
	a.s.SetLargeView(t)
	// The arrow keys go to the window (next class), not to a control.
	a.Window.Canvas().Unfocus()
	a.center.Objects = []fyne.CanvasObject{d.root}
	a.center.Refresh()
	a.prepareLargeCopy(true)
	if a.large.src == a.s.Photo().Image {
		d.fill()
		return
	}
	wait := widget.NewActivity()
	wait.Start()
	b := a.s.Photo().Image.Rect
	d.pics.Objects = []fyne.CanvasObject{container.NewCenter(container.NewVBox(wait,
		widget.NewLabel(fmt.Sprintf("Scaling the %d×%d photo for the large view…", b.Dx(), b.Dy()))))}
}

// prepareLargeCopy makes the large view's copy of the photo shown, unless
// it is there or on its way: a small photo's at once when now is set (it
// is quick), a large photo's off the UI goroutine, filling the large view
// when it is ready.
func (a *App) prepareLargeCopy(now bool) {
	p := a.s.Photo()
	if p == nil || a.large.src == p.Image || a.largeFor == p.Image {
		return
	}
	photo := p.Image
	if photo.Rect.Dx()*photo.Rect.Dy() < detailAsyncPixels {
		if now {
			small, scale := display.Fit(photo, detailSide/2, detailSide)
			a.large = largeCopy{photo, small, scale}
		}
		return
	}
	a.largeFor = photo
	go func() {
		small, scale := display.Fit(photo, detailSide/2, detailSide)
		a.opts.Do(func() {
			if a.largeFor == photo {
				a.largeFor = nil
			}
			if p := a.s.Photo(); p == nil || p.Image != photo {
				return
			}
			a.large = largeCopy{photo, small, scale}
			if a.detail != nil && a.detail.closeup == nil {
				a.detail.fill()
			}
		})
	}()
}

// fill shows the tile's pictures, on the photo's large copy, for the view
// as it is now.
func (d *detail) fill() {
	d.setCloseup(display.NewCloseup(d.tile, d.a.large.small, d.a.large.scale, d.a.s.View()))
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

// closeDetail returns to the grid from the large view or an experiment
// opened from it.
func (a *App) closeDetail() {
	open := a.detail != nil || a.occlusion != nil || a.scrubber != nil
	a.closeExperiments()
	if !open {
		return
	}
	a.detail = nil
	a.s.SetLargeView(nil)
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
