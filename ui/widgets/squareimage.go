package widgets

import (
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// SquareImage shows an image scaled to fit (aspect kept) with a square on
// it that follows the pointer when it drags or taps the picture: the
// occlusion experiment's photo. OnMove hears the square's new centre in
// image pixels. The square is drawn by the widget at once; what it hides
// from the model is the caller's business.
type SquareImage struct {
	widget.BaseWidget
	OnMove func(x, y float64)

	Image  *canvas.Image
	square *canvas.Rectangle
	size   image.Point // pixel size of the image shown
	x, y   float64     // the square's centre, image pixels
	side   float64     // its side, image pixels
}

var (
	_ fyne.Draggable = (*SquareImage)(nil)
	_ fyne.Tappable  = (*SquareImage)(nil)
)

// NewSquareImage returns a widget showing img with a square of side
// pixels of the image, of colour fill, centred on (x, y).
func NewSquareImage(img image.Image, fill color.Color, x, y, side float64) *SquareImage {
	s := &SquareImage{Image: canvas.NewImageFromImage(img), square: canvas.NewRectangle(fill), size: img.Bounds().Size(), x: x, y: y, side: side}
	s.Image.FillMode = canvas.ImageFillContain
	s.Image.ScaleMode = canvas.ImageScaleSmooth
	s.ExtendBaseWidget(s)
	return s
}

// Square is the square's centre and side in image pixels.
func (s *SquareImage) Square() (x, y, side float64) { return s.x, s.y, s.side }

// SetSide changes the square's side (image pixels).
func (s *SquareImage) SetSide(side float64) {
	s.side = side
	s.Refresh()
}

// Dragged moves the square under the pointer.
func (s *SquareImage) Dragged(e *fyne.DragEvent) { s.moveTo(e.Position) }

// DragEnd does nothing: the square stays where the drag left it.
func (s *SquareImage) DragEnd() {}

// Tapped moves the square to the tap.
func (s *SquareImage) Tapped(e *fyne.PointEvent) { s.moveTo(e.Position) }

// moveTo centres the square on widget position p, kept on the image.
func (s *SquareImage) moveTo(p fyne.Position) {
	scale, ox, oy := s.fit()
	if scale == 0 {
		return
	}
	s.x = min(max((float64(p.X)-ox)/scale, 0), float64(s.size.X))
	s.y = min(max((float64(p.Y)-oy)/scale, 0), float64(s.size.Y))
	s.Refresh()
	if s.OnMove != nil {
		s.OnMove(s.x, s.y)
	}
}

// fit is the image's scale in the widget and its offset.
func (s *SquareImage) fit() (scale, ox, oy float64) {
	w := s.Size()
	if s.size.X == 0 || s.size.Y == 0 || w.Width <= 0 || w.Height <= 0 {
		return 0, 0, 0
	}
	scale = min(float64(w.Width)/float64(s.size.X), float64(w.Height)/float64(s.size.Y))
	return scale, (float64(w.Width) - float64(s.size.X)*scale) / 2, (float64(w.Height) - float64(s.size.Y)*scale) / 2
}

// CreateRenderer shows the picture and the square on it.
func (s *SquareImage) CreateRenderer() fyne.WidgetRenderer { return &squareRenderer{s: s} }

// MinSize is small: the picture scales to whatever space it gets.
func (s *SquareImage) MinSize() fyne.Size { return fyne.NewSize(100, 75) }

type squareRenderer struct{ s *SquareImage }

func (r *squareRenderer) Layout(size fyne.Size) {
	s := r.s
	s.Image.Resize(size)
	s.Image.Move(fyne.NewPos(0, 0))
	scale, ox, oy := s.fit()
	half := s.side / 2
	x0, y0 := max(s.x-half, 0), max(s.y-half, 0)
	x1, y1 := min(s.x+half, float64(s.size.X)), min(s.y+half, float64(s.size.Y))
	s.square.Move(fyne.NewPos(float32(ox+x0*scale), float32(oy+y0*scale)))
	s.square.Resize(fyne.NewSize(float32(max(x1-x0, 0)*scale), float32(max(y1-y0, 0)*scale)))
}

func (r *squareRenderer) MinSize() fyne.Size { return r.s.MinSize() }

func (r *squareRenderer) Refresh() {
	r.Layout(r.s.Size())
	r.s.Image.Refresh()
	r.s.square.Refresh()
}

func (r *squareRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.s.Image, r.s.square}
}

func (r *squareRenderer) Destroy() {}
