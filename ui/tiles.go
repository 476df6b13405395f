package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/render"
	"camscope/inference/cam"
	"camscope/ui/widgets"
)

// refreshTiles rebuilds the tile widgets for the current scene: one grid
// of tiles, or when comparing one row per model under its name.
func (a *App) refreshTiles() {
	a.tiles = nil
	a.closeDetail()
	a.grid.Objects = nil
	switch {
	case a.photo == nil:
		a.setEmpty("Open a photo (Ctrl+O) or drop one on the window to see where the model looks.")
	case len(a.models) == 0:
		a.setEmpty("Open a model (.onnx) or get one from the catalogue to explain " + a.photo.Name + ".")
	case a.scene == nil:
		a.setEmpty("")
	default:
		a.setEmpty("")
		b := a.scene.Photo.Rect
		a.gridLay.Aspect = float32(b.Dx()) / float32(b.Dy())
		if len(a.scene.Rows) == 1 {
			a.gridLay.Columns = 0
			a.grid.Objects = []fyne.CanvasObject{container.New(a.gridLay, a.rowTiles(a.scene.Rows[0], 0)...)}
			break
		}
		cols := 0
		for _, r := range a.scene.Rows {
			cols = max(cols, len(r))
		}
		a.gridLay.Columns = cols
		rows := make([]fyne.CanvasObject, len(a.scene.Rows))
		for i, r := range a.scene.Rows {
			lay := *a.gridLay
			lay.Top = true
			name := widget.NewLabelWithStyle(r[0].Result.Model.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Importance = widget.HighImportance
			rows[i] = container.NewBorder(name, nil, nil, nil, container.New(&lay, a.rowTiles(r, cols)...))
		}
		a.grid.Objects = []fyne.CanvasObject{container.NewGridWithRows(len(rows), rows...)}
	}
	a.grid.Refresh()
}

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

// rerender re-blends every tile from the cached heats: opacity, colormap,
// box and contour changes never run the model.
func (a *App) rerender() {
	if a.scene == nil {
		return
	}
	a.scene.Show(a.view)
	for _, t := range a.tiles {
		t.Image.Refresh()
	}
	if a.detail != nil {
		a.detail.show()
	}
}

// SetOpacity changes the heat's opacity (0 to 1).
func (a *App) SetOpacity(v float64) {
	a.view.Opacity = min(max(v, 0), 1)
	a.c.opValue.SetText(percentText(a.view.Opacity))
	a.rerender()
}

// SetColormap re-colours the maps.
func (a *App) SetColormap(cm *render.Colormap) {
	a.view.Colormap = cm
	a.c.colorBar.Image = colorBar(cm)
	a.c.colorBar.Refresh()
	a.fyne.Preferences().SetString(prefColormap, cm.Name())
	a.rerender()
}

// SetShared switches between per-tile and shared scaling (no model run).
func (a *App) SetShared(shared bool) {
	if a.view.Shared == shared {
		return
	}
	a.view.Shared = shared
	a.rebuildScene()
	a.refreshTiles()
}

// SetTopK explains the k most probable classes.
func (a *App) SetTopK(k int) {
	k = min(max(k, 1), explain.MaxTopK)
	if k == a.req.TopK {
		return
	}
	a.req.TopK = k
	a.c.kValue.SetText(fmt.Sprint(k))
	if a.c.k.Value != float64(k) {
		a.c.k.SetValue(float64(k))
	}
	a.rerun()
}

// SetMethod switches between CAM and Grad-CAM.
func (a *App) SetMethod(m cam.Method) {
	if m == a.req.Method {
		return
	}
	a.req.Method = m
	a.rerun()
}

// SearchClass adds the best match for query (a label fragment or an index)
// to the tiles.
func (a *App) SearchClass(query string) {
	if len(a.models) == 0 {
		a.c.searchNote.SetText("Open a model first.")
		return
	}
	m := a.models[0]
	hits, err := cam.FindClasses(m.Labels, m.NumClasses(), query)
	if err != nil {
		a.c.searchNote.SetText(sentence(err.Error()))
		return
	}
	k := hits[0]
	note := fmt.Sprintf("Added %s (class %d).", m.Explainer.Label(k), k)
	if len(hits) > 1 {
		note += fmt.Sprintf(" %d other labels match; type more of the name to pick one.", len(hits)-1)
	}
	for _, c := range a.req.Classes {
		if c == k {
			note = fmt.Sprintf("%s (class %d) is already shown.", m.Explainer.Label(k), k)
			a.c.searchNote.SetText(note)
			return
		}
	}
	a.c.searchNote.SetText(note)
	a.c.search.SetText("")
	a.req.Classes = append(a.req.Classes, k)
	a.rerun()
}

// sentence starts msg with a capital and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// Tiles returns the captions of the tiles shown, in order (for tests).
func (a *App) Tiles() []string {
	var out []string
	for _, t := range a.tiles {
		out = append(out, t.Title())
	}
	return out
}

// View returns how maps are shown now.
func (a *App) View() display.View { return a.view }
