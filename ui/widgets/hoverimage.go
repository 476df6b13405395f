package widgets

import (
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// HoverImage shows an image scaled to fit (aspect kept) and reports the
// image pixel under the pointer to OnHover, and ok false when the pointer
// leaves the picture.
type HoverImage struct {
	widget.BaseWidget
	OnHover func(x, y float64, ok bool)

	Image *canvas.Image
	size  image.Point // pixel size of the image shown
}

var _ desktop.Hoverable = (*HoverImage)(nil)

// NewHoverImage returns a widget showing img.
func NewHoverImage(img image.Image) *HoverImage {
	h := &HoverImage{Image: canvas.NewImageFromImage(img), size: img.Bounds().Size()}
	h.Image.FillMode = canvas.ImageFillContain
	h.Image.ScaleMode = canvas.ImageScaleSmooth
	h.ExtendBaseWidget(h)
	return h
}

// SetImage replaces the picture.
func (h *HoverImage) SetImage(img image.Image) {
	h.size = img.Bounds().Size()
	h.Image.Image = img
	h.Image.Refresh()
}

// CreateRenderer shows the picture alone.
func (h *HoverImage) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(h.Image)
}

// MinSize is small: the picture scales to whatever space it gets.
func (h *HoverImage) MinSize() fyne.Size { return fyne.NewSize(100, 75) }

// Pixel converts a position in the widget to image pixels.
func (h *HoverImage) Pixel(p fyne.Position) (x, y float64, ok bool) {
	s := h.Size()
	if h.size.X == 0 || h.size.Y == 0 || s.Width <= 0 || s.Height <= 0 {
		return 0, 0, false
	}
	scale := min(float64(s.Width)/float64(h.size.X), float64(s.Height)/float64(h.size.Y))
	ox := (float64(s.Width) - float64(h.size.X)*scale) / 2
	oy := (float64(s.Height) - float64(h.size.Y)*scale) / 2
	x, y = (float64(p.X)-ox)/scale, (float64(p.Y)-oy)/scale
	return x, y, x >= 0 && y >= 0 && x < float64(h.size.X) && y < float64(h.size.Y)
}

// MouseIn reports the pixel under the pointer.
func (h *HoverImage) MouseIn(e *desktop.MouseEvent) { h.MouseMoved(e) }

// MouseMoved reports the pixel under the pointer.
func (h *HoverImage) MouseMoved(e *desktop.MouseEvent) {
	if h.OnHover != nil {
		h.OnHover(h.Pixel(e.Position))
	}
}

// MouseOut reports that the pointer left.
func (h *HoverImage) MouseOut() {
	if h.OnHover != nil {
		h.OnHover(0, 0, false)
	}
}
