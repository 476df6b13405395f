// Package widgets holds CAMscope's own Fyne widgets: the overlay tile, the
// grid that lays tiles out at the photo's aspect ratio, and an image that
// reports the pixel under the pointer.
package widgets

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Tile shows one class: the photo with its map over it, and under it the
// rank and label on the left and the probability on the right, with a thin
// bar as long as the probability. Tapping it calls OnTapped.
type Tile struct {
	widget.BaseWidget
	OnTapped func()

	Image *canvas.Image
	title *widget.Label
	prob  *widget.Label
	bar   *canvas.Rectangle
	track *canvas.Rectangle
	frac  float64
}

// NewTile returns a tile drawing img (which the caller re-renders in place
// and then refreshes with Refresh).
func NewTile(img *image.RGBA, title, prob string, frac float64) *Tile {
	t := &Tile{Image: canvas.NewImageFromImage(img), frac: frac}
	t.Image.FillMode = canvas.ImageFillContain
	t.Image.ScaleMode = canvas.ImageScaleFastest
	t.title = widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.title.Truncation = fyne.TextTruncateEllipsis
	t.prob = widget.NewLabel(prob)
	t.bar = canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))
	t.track = canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	t.ExtendBaseWidget(t)
	return t
}

// Title returns the tile's caption.
func (t *Tile) Title() string { return t.title.Text }

// SetImage replaces the tile's picture.
func (t *Tile) SetImage(img *image.RGBA) {
	t.Image.Image = img
	t.Image.Refresh()
}

// Tapped calls OnTapped.
func (t *Tile) Tapped(*fyne.PointEvent) {
	if t.OnTapped != nil {
		t.OnTapped()
	}
}

// Captions are the heights of a tile's caption (and bar) under its
// picture, in the theme of now: One line, or Two lines of the smaller
// text in a cell narrower than WrapBelow, where a typical caption's first
// MinCaption characters do not fit on one line even in the smaller text.
type Captions struct {
	One, Two, WrapBelow float32
}

// MeasureCaptions measures the captions in the theme of now.
func MeasureCaptions() Captions {
	two := widget.NewLabelWithStyle("Xg\nXg", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	two.SizeName = theme.SizeNameCaptionText
	one := widget.NewLabel("Xg").MinSize().Height
	wrap := fyne.MeasureText(typicalCaption+"…", theme.Size(theme.SizeNameCaptionText), fyne.TextStyle{Bold: true}).Width + 2*theme.InnerPadding()
	return Captions{One: one + barHeight, Two: max(one, two.MinSize().Height) + barHeight, WrapBelow: wrap}
}

// Height is the height of the caption under a cell of the given width.
func (c Captions) Height(width float32) float32 {
	if width < c.WrapBelow {
		return c.Two
	}
	return c.One
}

const barHeight = 3

// MinCaption is how many characters of a caption a tile keeps in view when
// it can: the rank ("1. ") and 12 of the label. The large view shows all.
const MinCaption = 15

// typicalCaption is a caption of MinCaption characters of average width:
// tiles too narrow for it all take the smaller text, so that a grid's
// captions share one size, and tiles too narrow for it in the smaller
// text wrap it onto two lines.
const typicalCaption = "1. Italian greyh"

// fits reports whether the caption's first MinCaption characters fit in
// width at the title's text size.
func (t *Tile) fits(width float32) bool {
	r := []rune(t.title.Text)
	return t.fitsIn(string(r[:min(len(r), MinCaption)]), width)
}

// fitsIn reports whether s, a beginning of the caption, shows in width: a
// shortened caption ends in an ellipsis.
func (t *Tile) fitsIn(s string, width float32) bool {
	if len(s) < len(t.title.Text) {
		s += "…"
	}
	size := theme.Size(t.title.SizeName)
	return fyne.MeasureText(s, size, t.title.TextStyle).Width+2*theme.InnerPadding() <= width
}

// CreateRenderer lays out picture, caption and bar.
func (t *Tile) CreateRenderer() fyne.WidgetRenderer {
	return &tileRenderer{t: t, objects: []fyne.CanvasObject{t.Image, t.title, t.prob, t.track, t.bar}}
}

type tileRenderer struct {
	t       *Tile
	objects []fyne.CanvasObject
}

func (r *tileRenderer) Layout(size fyne.Size) {
	t := r.t
	caps := MeasureCaptions()
	ch := caps.Height(size.Width)
	img := fyne.NewSize(size.Width, max(0, size.Height-ch))
	// In a cell wider than the picture (a grid's Spread), the picture and
	// its bar keep to the left, above the wider caption.
	if pic := t.Image.Image; pic != nil && pic.Bounds().Dy() > 0 {
		b := pic.Bounds()
		if w := img.Height * float32(b.Dx()) / float32(b.Dy()); w < img.Width-2 {
			img.Width = float32(math.Ceil(float64(w)))
		}
	}
	t.Image.Resize(img)
	t.Image.Move(fyne.NewPos(0, 0))
	t.track.Resize(fyne.NewSize(img.Width, barHeight))
	t.track.Move(fyne.NewPos(0, img.Height))
	t.bar.Resize(fyne.NewSize(img.Width*float32(min(max(t.frac, 0), 1)), barHeight))
	t.bar.Move(fyne.NewPos(0, img.Height))
	// The caption keeps the rank and the label's first characters: the
	// probability gives way first (the bar shows it), then the text size,
	// then the caption takes two lines (the grid gave it their height).
	text, wrap := t.title.SizeName, t.title.Wrapping
	t.title.SizeName = theme.SizeNameText
	t.title.Wrapping = fyne.TextWrapOff
	pw := t.prob.MinSize().Width
	if size.Width < 3*pw || !t.fits(size.Width-pw) || ch > caps.One {
		pw = 0
		t.prob.Hide()
	} else {
		t.prob.Show()
	}
	if !t.fits(size.Width) || !t.fitsIn(typicalCaption, size.Width) {
		// Tiles of one width agree on the size unless a caption needs less.
		t.title.SizeName = theme.SizeNameCaptionText
	}
	if ch > caps.One {
		t.title.Wrapping = fyne.TextWrapWord
	}
	if t.title.SizeName != text || t.title.Wrapping != wrap {
		t.title.Refresh()
	}
	t.prob.Resize(fyne.NewSize(pw, ch-barHeight))
	t.prob.Move(fyne.NewPos(size.Width-pw, img.Height+barHeight))
	t.title.Resize(fyne.NewSize(max(0, size.Width-pw), ch-barHeight))
	t.title.Move(fyne.NewPos(0, img.Height+barHeight))
}

func (r *tileRenderer) MinSize() fyne.Size {
	return fyne.NewSize(80, 60+MeasureCaptions().One)
}

func (r *tileRenderer) Refresh() {
	r.t.bar.FillColor = theme.Color(theme.ColorNamePrimary)
	r.t.track.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.Layout(r.t.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *tileRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *tileRenderer) Destroy()                     {}

// Placeholder is an empty cell that keeps a grid's columns aligned.
func Placeholder() fyne.CanvasObject { return canvas.NewRectangle(color.Transparent) }
