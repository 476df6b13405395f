package ui

import (
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"camscope/app/display"
	"camscope/app/render"
	"camscope/app/session"
)

// Preference keys.
const (
	prefFolder   = "lastFolder"
	prefColormap = "colormap"
	prefOpacity  = "opacity"
)

// prefView is the default view with the remembered colormap and opacity.
func (a *App) prefView() display.View {
	v := display.DefaultView()
	p := a.fyne.Preferences()
	if cm, err := render.LookupColormap(p.String(prefColormap)); err == nil {
		v.Colormap = cm
	}
	v.Opacity = p.FloatWithFallback(prefOpacity, v.Opacity)
	return v
}

// OpenPhoto explains the photo at path with the current models.
func (a *App) OpenPhoto(path string) {
	a.remember(path)
	a.opening = filepath.Base(path)
	a.s.OpenPhoto(path)
	a.refreshBusy()
}

// OpenModel replaces the models with the one at path. Searched classes
// are dropped: another model may number its classes differently.
func (a *App) OpenModel(path string) {
	a.remember(path)
	a.c.searchNote.SetText("")
	a.s.OpenModel(path)
	a.refreshBusy()
}

// AddModel adds the model at path as one more row (compare).
func (a *App) AddModel(path string) {
	a.remember(path)
	if err := a.s.AddModel(path); err != nil {
		a.showError(err)
		return
	}
	a.refreshBusy()
}

// remember keeps the folder of path as the place the next dialog opens in.
func (a *App) remember(path string) {
	if abs, err := filepath.Abs(path); err == nil {
		a.fyne.Preferences().SetString(prefFolder, filepath.Dir(abs))
	}
}

// OpenPhotoDialog asks for a photo.
func (a *App) OpenPhotoDialog() {
	a.openDialog(session.PhotoExts, a.OpenPhoto)
}

// OpenModelDialog asks for an ONNX or TFLite model.
func (a *App) OpenModelDialog() {
	a.openDialog([]string{".onnx", ".tflite"}, a.OpenModel)
}

func (a *App) openDialog(exts []string, open func(string)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			a.showError(err)
			return
		}
		if r == nil {
			return
		}
		r.Close()
		open(r.URI().Path())
	}, a.Window)
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	a.setLocation(d)
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// dropped opens dropped files: a model for .onnx and .tflite, a photo
// otherwise.
func (a *App) dropped(_ fyne.Position, uris []fyne.URI) {
	for _, u := range uris {
		if u.Scheme() != "file" {
			continue
		}
		if strings.EqualFold(u.Extension(), ".onnx") || strings.EqualFold(u.Extension(), ".tflite") {
			a.OpenModel(u.Path())
		} else {
			a.OpenPhoto(u.Path())
		}
	}
}
