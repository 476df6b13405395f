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
	metrics *metricsPanel // the map's faithfulness (metrics.go)
	// occlude and layers open the experiments on the tile (occlusion.go,
	// scrubber.go).
	occlude, layers *widget.Button
	root            fyne.CanvasObject
}

// OpenDetail shows tile i large.
func (a *App) OpenDetail(i int) {
	scene := a.s.Scene()
	if scene == nil || i < 0 || i >= len(a.tiles) {
		return
	}
	a.closeExperiments()
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
	d.occlude = widget.NewButton("Occlusion", func() { a.OpenOcclusion(i) })
	d.layers = widget.NewButton("Layers", func() { a.OpenScrubber(i) })
	top := container.NewBorder(nil, nil, back, container.NewHBox(d.occlude, d.layers, exportTile), d.title)
	d.metrics = a.newMetricsPanel(t)
	d.root = container.NewBorder(top, container.NewVBox(d.metrics.root, d.value), nil, nil, container.NewGridWithColumns(2, d.plain, d.overlay))
	a.detail = d
	a.s.SetLargeView(t)
	a.center.Objects = []fyne.CanvasObject{d.root}
	a.center.Refresh()
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
