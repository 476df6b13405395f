package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/app/render"
	"camscope/app/session"
)

var errNothing = errors.New("there is nothing to export yet: open a photo and a model first")

// ExportAll writes each row's overlays, raw maps, grid and report into
// dir (one subfolder per model when comparing models, per method in the
// compare-methods view) off the UI goroutine, with a dialog that shows how
// far it is; the status says where it went. done is closed once it ended.
func (a *App) ExportAll(dir string) (done <-chan struct{}) {
	finished := make(chan struct{})
	results := a.s.Results()
	if len(results) == 0 {
		a.showError(errNothing)
		close(finished)
		return finished
	}
	methods := a.s.CompareMethods() != nil
	view, photoPath := a.s.View(), a.s.PhotoPath()
	note := widget.NewLabel(fmt.Sprintf("Writing the maps of %s…", results[0].Model.Name))
	bar := widget.NewProgressBar()
	box := container.NewVBox(note, bar)
	d := dialog.NewCustomWithoutButtons("Exporting", container.NewGridWrap(fyne.NewSize(420, box.MinSize().Height), box), a.Window)
	d.Show()
	a.exportNote = note
	go func() {
		var err error
		for i, r := range results {
			out, name := dir, r.Model.Name
			switch {
			case methods:
				out, name = filepath.Join(dir, string(r.Request.Method)), session.MethodName(r.Request.Method)
			case len(results) > 1:
				out = filepath.Join(dir, r.Model.Name)
			}
			a.opts.Do(func() {
				note.SetText(fmt.Sprintf("Writing %d of %d: %s…", i+1, len(results), name))
				bar.SetValue(float64(i) / float64(len(results)))
			})
			if _, err = display.Save(context.Background(), out, r, view, photoPath); err != nil {
				err = fmt.Errorf("%w\n\nChoose a folder you can write to.", err)
				break
			}
		}
		a.opts.Do(func() {
			d.Hide()
			if err != nil {
				a.showError(err)
			} else {
				a.status.SetText("Exported to " + dir)
			}
			close(finished)
		})
	}()
	return finished
}

// GridWriter returns what writes the tiles as shown now, at the photo's
// full size, as one PNG (one row per model when comparing): it holds the
// scene, photo and view, and may run on any goroutine.
func (a *App) GridWriter() (func(path string) error, error) {
	scene := a.s.Scene()
	if scene == nil {
		return nil, errNothing
	}
	photo, view := a.s.Photo().Image, a.s.View()
	return func(path string) error { return render.SavePNG(path, scene.Grid(photo, 1, view)) }, nil
}

// TileWriter returns what writes tile i's overlay as shown now, at the
// photo's full size; it may run on any goroutine.
func (a *App) TileWriter(i int) (func(path string) error, error) {
	scene := a.s.Scene()
	if scene == nil || i < 0 || i >= len(a.tiles) {
		return nil, errNothing
	}
	t, photo, view := scene.Tiles()[i], a.s.Photo().Image, a.s.View()
	return func(path string) error { return render.SavePNG(path, t.OverlayAt(photo, 1, view)) }, nil
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
		a.folderDialog(func(dir string) { a.ExportAll(dir) })
	}
	grid.OnTapped = func() {
		d.Hide()
		a.saveWith("grid.png", a.GridWriter)
	}
	all.Importance = widget.HighImportance
	d = dialog.NewCustom("Export", "Close", widget.NewForm(
		widget.NewFormItem("Everything", all),
		widget.NewFormItem("Picture", grid),
	), a.Window)
	d.Show()
}

func (a *App) exportTileDialog(i int) {
	a.saveWith(fmt.Sprintf("tile_%02d.png", i+1), func() (func(string) error, error) { return a.TileWriter(i) })
}

// saveWith asks where to save name, then writes it with the writer that
// writer gives, taken when the dialog opens (what is shown then).
func (a *App) saveWith(name string, writer func() (func(string) error, error)) {
	save, err := writer()
	if err != nil {
		a.showError(err)
		return
	}
	a.saveDialog(name, save)
}

// saveDialog asks for a folder and a PNG file name, then writes the file
// with save. It is not Fyne's file-save dialog: that one opens the chosen
// file for writing, truncating it, before its callback runs, so a failed
// export would lose the file it was meant to replace. Here nothing touches
// the path until save writes it (through atomicfile: an existing file is
// replaced only by a complete new one), and a failed save leaves it as it
// was.
func (a *App) saveDialog(name string, save func(path string) error) {
	dir := a.saveFolder()
	folder := widget.NewButton(dir, nil)
	folder.OnTapped = func() {
		a.folderDialog(func(d string) {
			dir = d
			folder.SetText(d)
		})
	}
	file := widget.NewEntry()
	file.SetText(name)
	d := dialog.NewForm("Save as PNG", "Save", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Folder", folder),
		widget.NewFormItem("File name", file),
	}, func(ok bool) {
		if ok {
			a.confirmSave(dir, file.Text, save)
		}
	}, a.Window)
	d.Resize(fyne.NewSize(640, 0))
	d.Show()
}

// saveFolder is where a save starts: the last folder used, or the home
// folder.
func (a *App) saveFolder() string {
	if dir := a.fyne.Preferences().String(prefFolder); dir != "" {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return home
	}
	return "."
}

// confirmSave saves name (given .png if it has no such extension) in dir,
// asking first before it replaces an existing file.
func (a *App) confirmSave(dir, name string, save func(path string) error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsRune(name, filepath.Separator) || name == "." || name == ".." {
		a.showError(fmt.Errorf("%q is not a file name. Type a name such as grid.png.", name))
		return
	}
	if !strings.EqualFold(filepath.Ext(name), ".png") {
		name += ".png"
	}
	path := filepath.Join(dir, name)
	st, err := os.Stat(path)
	switch {
	case err != nil:
		a.saveTo(path, save)
	case st.IsDir():
		a.showError(fmt.Errorf("%s is a folder. Choose another file name.", path))
	default:
		dialog.ShowConfirm("Replace?", name+" already exists in "+dir+". Replace it?", func(ok bool) {
			if ok {
				a.saveTo(path, save)
			}
		}, a.Window)
	}
}

// saveTo writes path with save off the UI goroutine (a large photo's grid
// takes seconds) and says how it went. A failed save is reported and
// nothing is removed: save writes atomically, so whatever was at path is
// still there, whole.
func (a *App) saveTo(path string, save func(path string) error) {
	a.status.SetText("Saving " + filepath.Base(path) + "…")
	go func() {
		err := save(path)
		a.opts.Do(func() {
			if err != nil {
				a.status.SetText(a.summary())
				a.showError(err)
				return
			}
			a.remember(path)
			a.status.SetText("Saved " + path)
		})
	}()
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
