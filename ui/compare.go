package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/catalogue"
	"camscope/app/session"
)

const (
	compareOwn  = "Each model's own top classes"
	compareSame = "The same classes in every model"
)

// SetSameClasses switches between each model's own top k and the first
// model's classes in every row.
func (a *App) SetSameClasses(same bool) {
	a.s.SetSameClasses(same)
	a.refreshBusy()
}

// RemoveModel drops row i.
func (a *App) RemoveModel(i int) {
	a.s.RemoveModel(i)
	a.refreshBusy()
}

// CompareDialog lets people pick two to four models, one row each.
func (a *App) CompareDialog() {
	var d dialog.Dialog
	rows := container.NewVBox()
	models := a.s.Models()
	for i, m := range models {
		rm := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { d.Hide(); a.RemoveModel(i) })
		if len(models) == 1 {
			rm.Disable()
		}
		rows.Add(container.NewBorder(nil, nil, widget.NewLabel(fmt.Sprintf("Row %d", i+1)), rm, widget.NewLabelWithStyle(m.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})))
	}
	if len(models) == 0 {
		rows.Add(widget.NewLabel("No model yet."))
	}
	full := len(models) >= session.MaxModels
	addFile := widget.NewButtonWithIcon("Add a model file…", theme.ContentAddIcon(), func() {
		d.Hide()
		dlg := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil {
				a.showError(err)
				return
			}
			if r != nil {
				r.Close()
				a.AddModel(r.URI().Path())
			}
		}, a.Window)
		dlg.SetFilter(storage.NewExtensionFileFilter([]string{".onnx", ".tflite"}))
		a.setLocation(dlg)
		dlg.Resize(fyne.NewSize(900, 600))
		dlg.Show()
	})
	adds := container.NewVBox(addFile)
	var installed []catalogue.Installed
	if dir, err := a.modelDir(); err == nil {
		installed, _ = catalogue.InstalledModels(dir)
	}
	for _, in := range installed {
		b := widget.NewButtonWithIcon("Add "+in.Name, theme.ContentAddIcon(), func() { d.Hide(); a.AddModel(in.Path) })
		adds.Add(b)
	}
	if full {
		for _, o := range adds.Objects {
			o.(*widget.Button).Disable()
		}
	}
	mode := widget.NewRadioGroup([]string{compareOwn, compareSame}, func(s string) { a.SetSameClasses(s == compareSame) })
	mode.Required = true
	mode.Selected = compareOwn
	if a.s.SameClasses() {
		mode.Selected = compareSame
	}
	help := note()
	help.SetText(fmt.Sprintf("Up to %d models, one row each, on the same photo. The same classes are matched by index, or by label name between models of different class lists (the sidebar says how). Scale (sidebar): per model compares the classes within each row; one raw scale only means something for models whose raw values compare.", session.MaxModels))
	content := container.NewVBox(rows, widget.NewSeparator(), adds, widget.NewSeparator(), mode, help)
	d = dialog.NewCustom("Compare models", "Done", content, a.Window)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}
