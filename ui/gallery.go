package ui

import (
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/app/session"
)

// sampleThumb is one picture of the gallery, decoded and made small once.
type sampleThumb struct {
	sample session.Sample
	small  image.Image
}

// thumbSide is the longest side of a gallery picture.
const thumbSide = 160

// samples are the gallery's pictures, made on first use.
func (a *App) samples() []sampleThumb {
	if a.thumbs == nil {
		for _, smp := range session.Samples() {
			p, err := smp.Photo()
			if err != nil {
				continue
			}
			small, _ := display.Fit(p.Image, thumbSide/2, thumbSide)
			a.thumbs = append(a.thumbs, sampleThumb{smp, small})
		}
	}
	return a.thumbs
}

// GalleryDialog shows the sample photos and the shapes model's scenes; one
// click opens one (see session.OpenSample for the model it gets).
func (a *App) GalleryDialog() {
	var d dialog.Dialog
	grid := container.NewGridWrap(fyne.NewSize(thumbSide+8, thumbSide*3/4+44))
	for _, th := range a.samples() {
		pic := canvas.NewImageFromImage(th.small)
		pic.FillMode = canvas.ImageFillContain
		title := widget.NewLabelWithStyle(th.sample.Title, fyne.TextAlignCenter, fyne.TextStyle{})
		title.Truncation = fyne.TextTruncateEllipsis
		// The button lies under the picture and its title: a click anywhere
		// on the card opens it.
		open := widget.NewButton("", func() {
			d.Hide()
			a.OpenSample(th.sample)
		})
		grid.Add(container.NewStack(open, container.NewBorder(nil, title, nil, nil, container.NewPadded(pic))))
	}
	note := widget.NewLabel("Photos are explained by " + session.ImageNetName + " (or the model you opened), the shapes scenes by the shapes model. Photo credits: Help ▸ About.")
	note.Wrapping = fyne.TextWrapWord
	d = dialog.NewCustom("Samples", "Close", container.NewBorder(note, nil, nil, nil, container.NewVScroll(grid)), a.Window)
	d.Resize(fyne.NewSize(760, 620))
	d.Show()
}

// OpenSample explains a gallery picture.
func (a *App) OpenSample(smp session.Sample) {
	if err := a.s.OpenSample(smp); err != nil {
		a.showError(err)
		return
	}
	a.c.searchNote.SetText("")
	a.refreshBusy()
}
