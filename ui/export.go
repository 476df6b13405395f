package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/app/render"
)

var errNothing = errors.New("there is nothing to export yet: open a photo and a model first")

// ExportAll writes each model's overlays, raw maps, grid and report into
// dir (one subfolder per model when comparing).
func (a *App) ExportAll(dir string) error {
	results := a.s.Results()
	if len(results) == 0 {
		return errNothing
	}
	for _, r := range results {
		out := dir
		if len(results) > 1 {
			out = filepath.Join(dir, r.Model.Name)
		}
		if err := display.Save(context.Background(), out, r, a.s.View(), a.s.PhotoPath()); err != nil {
			return fmt.Errorf("%w\n\nChoose a folder you can write to.", err)
		}
	}
	return nil
}

// ExportGrid writes the tiles, at the photo's full size, as one PNG: one
// row per model when comparing.
func (a *App) ExportGrid(path string) error {
	scene := a.s.Scene()
	if scene == nil {
		return errNothing
	}
	return render.SavePNG(path, scene.Grid(a.s.Photo().Image, 1, a.s.View()))
}

// ExportTile writes tile i's overlay at the photo's full size.
func (a *App) ExportTile(i int, path string) error {
	scene := a.s.Scene()
	if scene == nil || i < 0 || i >= len(a.tiles) {
		return errNothing
	}
	return render.SavePNG(path, scene.Tiles()[i].OverlayAt(a.s.Photo().Image, 1, a.s.View()))
}

// ExportDialog offers the exports.
func (a *App) ExportDialog() {
	if len(a.s.Results()) == 0 {
		a.showError(errNothing)
		return
	}
	all := widget.NewButton("Maps, overlays and report…", nil)
	grid := widget.NewButton("Grid as PNG…", nil)
	var d dialog.Dialog
	all.OnTapped = func() {
		d.Hide()
		a.folderDialog(func(dir string) {
			if err := a.ExportAll(dir); err != nil {
				a.showError(err)
				return
			}
			a.status.SetText("Exported to " + dir)
		})
	}
	grid.OnTapped = func() {
		d.Hide()
		a.saveDialog("grid.png", func(path string) error { return a.ExportGrid(path) })
	}
	all.Importance = widget.HighImportance
	d = dialog.NewCustom("Export", "Close", widget.NewForm(
		widget.NewFormItem("Everything", all),
		widget.NewFormItem("Picture", grid),
	), a.Window)
	d.Show()
}

func (a *App) exportTileDialog(i int) {
	a.saveDialog(fmt.Sprintf("tile_%02d.png", i+1), func(path string) error { return a.ExportTile(i, path) })
}

// saveDialog asks for a PNG file name and writes it with save.
func (a *App) saveDialog(name string, save func(path string) error) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			a.showError(err)
			return
		}
		if w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		if err := save(path); err != nil {
			os.Remove(path)
			a.showError(err)
			return
		}
		a.remember(path)
		a.status.SetText("Saved " + path)
	}, a.Window)
	d.SetFileName(name)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png"}))
	a.setLocation(d)
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

func (a *App) folderDialog(pick func(dir string)) {
	d := dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
		if err != nil {
			a.showError(err)
			return
		}
		if l == nil {
			return
		}
		a.fyne.Preferences().SetString(prefFolder, l.Path())
		pick(l.Path())
	}, a.Window)
	a.setLocation(d)
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

type locator interface{ SetLocation(fyne.ListableURI) }

func (a *App) setLocation(d locator) {
	if dir := a.fyne.Preferences().String(prefFolder); dir != "" {
		if l, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
			d.SetLocation(l)
		}
	}
}
