package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/session"
)

// modelNotes are the sidebar's warnings about the model, each with what
// fixes it: the shapes model on a photo (use MobileNetV2), and a model
// whose classes are numbers (give it labels).
type modelNotes struct {
	shapes   *widget.Label
	useNet   *widget.Button
	labels   *widget.Label
	imagenet *widget.Button
	file     *widget.Button
	box      *fyne.Container
}

func (a *App) buildModelNotes() fyne.CanvasObject {
	n := &a.notes
	n.shapes = note()
	n.shapes.Importance = widget.WarningImportance
	n.shapes.TextStyle.Bold = true
	n.useNet = widget.NewButtonWithIcon("Use "+session.ImageNetName, theme.NavigateNextIcon(), func() { a.OpenBuiltin(session.ImageNetName) })
	n.useNet.Importance = widget.HighImportance
	n.labels = note()
	n.imagenet = widget.NewButton("ImageNet labels", a.UseImageNetLabels)
	n.file = widget.NewButton("Labels file…", a.LabelsFileDialog)
	n.box = container.NewVBox(n.shapes, n.useNet, n.labels, container.NewGridWithColumns(2, n.imagenet, n.file))
	a.refreshModelNotes()
	return n.box
}

// refreshModelNotes shows the notes that apply to the models now.
func (a *App) refreshModelNotes() {
	n := &a.notes
	shapes, labels := a.s.ModelNote(), a.s.LabelsNote()
	showNote(n.shapes, shapes)
	showNote(n.labels, labels)
	showIf(n.useNet, shapes != "")
	showIf(n.file, labels != "")
	showIf(n.imagenet, labels != "" && a.s.ImageNetLabelsFit())
	showIf(n.box, shapes != "" || labels != "")
}

func showIf(o fyne.CanvasObject, show bool) {
	if show {
		o.Show()
	} else {
		o.Hide()
	}
}

// OpenBuiltin replaces the models with a built-in one (session.ImageNetName
// or session.BuiltinName) for the photo shown.
func (a *App) OpenBuiltin(name string) {
	a.c.searchNote.SetText("")
	a.s.OpenBuiltin(name)
	a.refreshBusy()
}

// UseImageNetLabels names the model's classes with the ImageNet labels the
// app ships.
func (a *App) UseImageNetLabels() { a.setLabels("") }

// LabelsFileDialog asks for the model's labels file (one name per line).
func (a *App) LabelsFileDialog() { a.openDialog([]string{".txt"}, a.setLabels) }

func (a *App) setLabels(path string) {
	if err := a.s.SetLabels(path); err != nil {
		a.showError(err)
		return
	}
	a.refreshBusy()
	a.refreshInfo()
}
