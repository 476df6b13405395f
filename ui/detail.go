package ui

import (
	"fmt"
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/explain"
	"camscope/app/render"
	"camscope/app/session"
	"camscope/ui/widgets"
)

// detailSide is the longest side of the large view's pictures.
const detailSide = 1024

// detail is the large view of one tile: the plain photo beside the overlay,
// with the raw map value under the pointer.
type detail struct {
	a       *App
	index   int
	tile    *session.Tile
	photo   *image.RGBA
	scale   float64
	heat    *render.Heat
	buf     *image.RGBA
	overlay *widgets.HoverImage
	plain   *widgets.HoverImage
	value   *widget.Label
	root    fyne.CanvasObject
	cell    *image.Point // the feature-grid cell under the pointer
}

// OpenDetail shows tile i large.
func (a *App) OpenDetail(i int) {
	if a.scene == nil || i < 0 || i >= len(a.tiles) {
		return
	}
	t := a.scene.Tiles()[i]
	photo, scale := session.Fit(a.photo.Image, detailSide/2, detailSide)
	d := &detail{a: a, index: i, tile: t, photo: photo, scale: scale,
		heat: t.HeatAt(photo.Rect.Size(), scale, a.view.Colormap), buf: image.NewRGBA(photo.Rect)}
	d.render()
	d.overlay = widgets.NewHoverImage(d.buf)
	d.plain = widgets.NewHoverImage(photo)
	d.value = widget.NewLabel("Point at the picture to read the map.")
	d.overlay.OnHover = d.hover
	d.plain.OnHover = d.hover
	back := widget.NewButtonWithIcon("All classes", theme.NavigateBackIcon(), a.closeDetail)
	title := widget.NewLabelWithStyle(t.Result.Model.Name+" · "+fullTitle(t)+"  "+explain.Percent(t.Class.Prob), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	exportTile := widget.NewButtonWithIcon("Save tile…", theme.DocumentSaveIcon(), func() { a.exportTileDialog(i) })
	top := container.NewBorder(nil, nil, back, exportTile, title)
	d.root = container.NewBorder(top, d.value, nil, nil, container.NewGridWithColumns(2, d.plain, d.overlay))
	a.detail = d
	a.center.Objects = []fyne.CanvasObject{d.root}
	a.center.Refresh()
}

// closeDetail returns to the grid.
func (a *App) closeDetail() {
	if a.detail == nil {
		return
	}
	a.detail = nil
	a.center.Objects = []fyne.CanvasObject{a.grid, a.emptyBox}
	a.center.Refresh()
}

func fullTitle(t *session.Tile) string {
	if t.Class.Rank > 0 {
		return fmt.Sprintf("%d. %s", t.Class.Rank, t.Class.Label)
	}
	return t.Class.Label
}

func (d *detail) render() {
	session.Render(d.buf, d.photo, d.heat, d.a.view)
	if d.cell != nil {
		render.DrawRect(d.buf, d.tile.CellRect(*d.cell, d.scale), color.White, 2)
	}
	if d.overlay != nil {
		d.overlay.Image.Refresh()
	}
}

// hover shows the raw map value under the pointer (x, y in large-view
// pixels).
func (d *detail) hover(x, y float64, ok bool) {
	v, cell, in := d.tile.RawAt(x, y, d.scale)
	switch {
	case !ok:
		d.value.SetText("Point at the picture to read the map.")
	case !in:
		d.value.SetText("Outside the part of the photo the model saw.")
	}
	if !ok || !in {
		if d.cell != nil {
			d.cell = nil
			d.render()
		}
		return
	}
	if d.cell == nil || *d.cell != cell {
		d.cell = &cell
		d.render()
	}
	m := d.tile.Scaled
	s := m.Data[cell.Y*m.W+cell.X]
	d.value.SetText(fmt.Sprintf("Map value %.4g at cell (%d, %d) of %d×%d · scaled %.2f", v, cell.X, cell.Y, m.W, m.H, s))
}

// DetailValue returns the large view's value line (for tests).
func (a *App) DetailValue() string {
	if a.detail == nil {
		return ""
	}
	return a.detail.value.Text
}
