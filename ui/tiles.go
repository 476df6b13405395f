package ui

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/render"
	"camscope/ui/widgets"
)

// refreshTiles shows the grid of the session's scene, rebuilt.
func (a *App) refreshTiles() {
	a.closeDetail()
	a.buildGrid()
}

// buildGrid rebuilds the tile widgets for the session's scene, in the same
// order (the large view's index still names its tile): one grid of tiles,
// or when comparing one row per model or method under its label, each row
// laid out with the captions' size of now.
func (a *App) buildGrid() {
	a.tiles, a.rowScores = nil, nil
	a.grid.Objects = nil
	scene := a.s.Scene()
	switch {
	case a.s.Photo() == nil && a.opening != "":
		a.setEmpty("Opening " + a.opening + "…")
	case a.s.Photo() == nil:
		a.setEmpty(startHint)
	case len(a.s.Models()) == 0:
		a.setEmpty("Open a model (.onnx or .tflite) or get one from the catalogue to explain " + a.s.Photo().Name + ".")
	case scene == nil:
		a.setEmpty("")
	default:
		a.setEmpty("")
		b := scene.Photo.Rect
		a.gridLay.Aspect = float32(b.Dx()) / float32(b.Dy())
		if len(scene.Rows) == 1 {
			a.gridLay.Columns = 0
			a.grid.Objects = []fyne.CanvasObject{container.New(a.gridLay, a.rowTiles(scene.Rows[0], 0)...)}
			break
		}
		cols := scene.Columns()
		photo := a.s.PhotoColumn()
		if photo {
			cols++
		}
		a.gridLay.Columns = cols
		labels := a.s.RowLabels()
		rows := make([]fyne.CanvasObject, len(scene.Rows))
		stack := &widgets.Rows{Grid: a.gridLay}
		for i, r := range scene.Rows {
			lay := *a.gridLay
			lay.Top, lay.Spread = true, true
			name := widget.NewLabelWithStyle(labels[i], fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Importance = widget.HighImportance
			var cells []fyne.CanvasObject
			if photo {
				cells = append(cells, widgets.NewTile(scene.Photo, "Photo", "", 0))
			}
			tiles := container.New(&lay, append(cells, a.rowTiles(r, cols-len(cells))...)...)
			if a.s.CompareMethods() == nil {
				stack.Header = name.MinSize().Height + theme.Padding()
				rows[i] = container.NewBorder(name, nil, nil, nil, tiles)
				continue
			}
			// Methods: the name on the left, beside its tiles, so that
			// five rows of tiles keep their height.
			name.Wrapping = fyne.TextWrapWord
			width := canvas.NewRectangle(color.Transparent)
			width.SetMinSize(fyne.NewSize(methodLabelWidth, 0))
			lay.Leading = true
			stack.Side = methodLabelWidth + theme.Padding()
			// A row too low for its name and scores (five rows in
			// presentation mode) scrolls them rather than writing over
			// the next row's.
			side := container.NewVScroll(container.NewVBox(name, a.rowScoreLabel(i)))
			rows[i] = container.NewBorder(nil, nil, container.NewStack(width, side), nil, tiles)
		}
		a.grid.Objects = []fyne.CanvasObject{container.New(stack, rows...)}
	}
	a.grid.Refresh()
}

// methodLabelWidth is the width of a method's name left of its row.
const methodLabelWidth = 150

// rowTiles makes the tiles of one row, padded to cols cells.
func (a *App) rowTiles(row []*display.Tile, cols int) []fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, t := range row {
		tile := widgets.NewTile(t.Image, display.ShortTitle(t.Class), display.Percent(t.Class.Prob), t.Class.Prob)
		i := len(a.tiles)
		tile.OnTapped = func() { a.OpenDetail(i) }
		a.tiles = append(a.tiles, tile)
		objs = append(objs, tile)
	}
	for range cols - len(row) {
		objs = append(objs, widgets.Placeholder())
	}
	return objs
}

// refreshImages shows the tiles' pictures again after the session
// re-rendered them: opacity, colormap, box and contour changes never run
// the model.
func (a *App) refreshImages() {
	for _, t := range a.tiles {
		t.Image.Refresh()
	}
	if a.detail != nil {
		a.detail.show()
	}
}

// SetPhotoColumn shows or hides the plain photo at the start of each
// compare row.
func (a *App) SetPhotoColumn(on bool) {
	a.s.SetPhotoColumn(on)
	a.c.photoCol.SetChecked(a.s.PhotoColumn())
	a.refreshTiles()
}

// SetOpacity changes the heat's opacity (0 to 1).
func (a *App) SetOpacity(v float64) {
	a.s.SetOpacity(v)
	a.c.opValue.SetText(percentText(a.s.View().Opacity))
	a.refreshImages()
}

// SetColormap re-colours the maps.
func (a *App) SetColormap(cm *render.Colormap) {
	a.s.SetColormap(cm)
	a.c.colorBar.Image = colorBar(cm)
	a.c.colorBar.Refresh()
	a.fyne.Preferences().SetString(prefColormap, cm.Name())
	a.refreshImages()
}

// SetScale chooses the scale named name among the session's choices (no
// model run).
func (a *App) SetScale(name string) {
	for _, ch := range a.s.ScaleChoices() {
		if ch.Name == name && ch.Scale != a.s.View().Scale {
			a.s.SetScale(ch.Scale)
			a.refreshScale()
			a.c.panel.Refresh()
			a.refreshTiles()
		}
	}
}

// SetTopK explains the k most probable classes.
func (a *App) SetTopK(k int) {
	k = a.s.SetTopK(k)
	a.c.kValue.SetText(fmt.Sprint(k))
	if a.c.k.Value != float64(k) {
		a.c.k.SetValue(float64(k))
	}
	a.refreshBusy()
}

// SetMethod chooses the method.
func (a *App) SetMethod(m explain.Method) {
	a.s.SetMethod(m)
	a.refreshBusy()
	a.refreshInfo()
}

// SearchClass adds the class query names (a label fragment or an index)
// to the tiles, or lists the matches to pick from when several labels
// match.
func (a *App) SearchClass(query string) {
	note, added, picks := a.s.AddClass(query)
	a.c.searchNote.SetText(note)
	a.c.picks.RemoveAll()
	for _, k := range picks {
		a.c.picks.Add(widget.NewButton(fmt.Sprintf("%s (%d)", a.s.ClassLabel(k), k), func() { a.PickClass(k) }))
	}
	showIfAny(a.c.picks)
	if added {
		a.c.search.SetText("")
		a.refreshSearched()
		a.refreshBusy()
	}
	a.c.panel.Refresh()
}

// PickClass adds class k, one of an ambiguous search's matches.
func (a *App) PickClass(k int) {
	note, added := a.s.AddClassIndex(k)
	a.c.searchNote.SetText(note)
	a.c.picks.RemoveAll()
	a.c.picks.Hide()
	if added {
		a.c.search.SetText("")
		a.refreshSearched()
		a.refreshBusy()
	}
	a.c.panel.Refresh()
}

// RemoveClass takes searched class k off the tiles.
func (a *App) RemoveClass(k int) {
	a.s.RemoveClass(k)
	a.c.searchNote.SetText("")
	a.refreshSearched()
	a.c.panel.Refresh()
	a.refreshBusy()
}

// refreshSearched lists the searched classes, each with its remove button.
func (a *App) refreshSearched() {
	c := &a.c
	c.searched.RemoveAll()
	classes := a.s.SearchedClasses()
	for _, k := range classes {
		rm := widget.NewButtonWithIcon("", theme.CancelIcon(), func() { a.RemoveClass(k) })
		rm.Importance = widget.LowImportance
		name := widget.NewLabel(fmt.Sprintf("%s (%d)", a.s.ClassLabel(k), k))
		name.Truncation = fyne.TextTruncateEllipsis
		c.searched.Add(container.NewBorder(nil, nil, nil, rm, name))
	}
	showIfAny(c.searched)
	if len(classes) == 0 {
		c.keep.Hide()
	} else {
		c.keep.Show()
	}
	c.keep.SetChecked(a.s.KeepClasses())
}

// showIfAny hides an empty box, so that it takes no space in the sidebar.
func showIfAny(box *fyne.Container) {
	if len(box.Objects) == 0 {
		box.Hide()
	} else {
		box.Show()
	}
}
