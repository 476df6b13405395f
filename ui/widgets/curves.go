package widgets

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Curve is one line of a Curves plot: points (X[i], Y[i]) in the unit
// square, and its name in the legend.
type Curve struct {
	Name  string
	X, Y  []float64
	Color color.Color
}

// Curves plots curves over the unit square (x and y from 0 to 1) with its
// axes, ticks at 0, 0.5 and 1, the axes' titles and a legend. It draws
// with canvas lines and text, so that it stays crisp at any scale.
type Curves struct {
	widget.BaseWidget
	XTitle, YTitle string
	Curves         []Curve
}

// NewCurves returns an empty plot with the axes' titles.
func NewCurves(xTitle, yTitle string) *Curves {
	c := &Curves{XTitle: xTitle, YTitle: yTitle}
	c.ExtendBaseWidget(c)
	return c
}

// SetCurves replaces the curves and draws them.
func (c *Curves) SetCurves(curves []Curve) {
	c.Curves = curves
	c.Refresh()
}

// CreateRenderer draws the plot.
func (c *Curves) CreateRenderer() fyne.WidgetRenderer {
	r := &curvesRenderer{c: c}
	r.build(c.Size())
	return r
}

// curvesMinSize is the smallest plot that stays readable.
var curvesMinSize = fyne.NewSize(320, 180)

type curvesRenderer struct {
	c       *Curves
	objects []fyne.CanvasObject
}

func (r *curvesRenderer) Layout(size fyne.Size)        { r.build(size) }
func (r *curvesRenderer) MinSize() fyne.Size           { return curvesMinSize }
func (r *curvesRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *curvesRenderer) Destroy()                     {}

func (r *curvesRenderer) Refresh() {
	r.build(r.c.Size())
	canvas.Refresh(r.c)
}

// text is a caption-sized canvas text with its top left at (x, y).
func text(s string, c color.Color, x, y float32) *canvas.Text {
	t := canvas.NewText(s, c)
	t.TextSize = theme.CaptionTextSize()
	t.Move(fyne.NewPos(x, y))
	t.Resize(t.MinSize())
	return t
}

// line is a line from (x0, y0) to (x1, y1).
func line(c color.Color, width, x0, y0, x1, y1 float32) *canvas.Line {
	l := canvas.NewLine(c)
	l.StrokeWidth = width
	l.Position1, l.Position2 = fyne.NewPos(x0, y0), fyne.NewPos(x1, y1)
	return l
}

// build lays the plot out in size.
func (r *curvesRenderer) build(size fyne.Size) {
	fg := theme.Color(theme.ColorNameForeground)
	dim := theme.Color(theme.ColorNamePlaceHolder)
	grid := theme.Color(theme.ColorNameSeparator)
	pad := theme.Padding()
	th := fyne.MeasureText("0.5", theme.CaptionTextSize(), fyne.TextStyle{}).Height
	tw := fyne.MeasureText("0.5", theme.CaptionTextSize(), fyne.TextStyle{}).Width
	// The plot's square: the y ticks left of it, the legend and y title
	// above, the x ticks and title below.
	x0, y0 := tw+2*pad, th+2*pad
	x1, y1 := size.Width-pad-tw/2, size.Height-2*th-2*pad
	if x1 <= x0 || y1 <= y0 {
		r.objects = nil
		return
	}
	px := func(v float64) float32 { return x0 + float32(v)*(x1-x0) }
	py := func(v float64) float32 { return y1 - float32(v)*(y1-y0) }
	objs := []fyne.CanvasObject{
		line(grid, 1, px(0.5), y0, px(0.5), y1), line(grid, 1, x0, py(0.5), x1, py(0.5)),
		line(grid, 1, x0, y0, x1, y0), line(grid, 1, x1, y0, x1, y1),
		line(fg, 1, x0, y0, x0, y1), line(fg, 1, x0, y1, x1, y1),
	}
	for _, v := range []float64{0, 0.5, 1} {
		s := map[float64]string{0: "0", 0.5: "0.5", 1: "1"}[v]
		w := fyne.MeasureText(s, theme.CaptionTextSize(), fyne.TextStyle{}).Width
		objs = append(objs, text(s, dim, px(v)-w/2, y1+pad/2), text(s, dim, x0-pad-w, py(v)-th/2))
	}
	xt := fyne.MeasureText(r.c.XTitle, theme.CaptionTextSize(), fyne.TextStyle{}).Width
	objs = append(objs, text(r.c.XTitle, dim, (x0+x1-xt)/2, y1+th+pad), text(r.c.YTitle, dim, 0, 0))
	// The legend, right-aligned above the plot: a swatch and the name of
	// each curve.
	lx := x1
	for i := len(r.c.Curves) - 1; i >= 0; i-- {
		cv := r.c.Curves[i]
		w := fyne.MeasureText(cv.Name, theme.CaptionTextSize(), fyne.TextStyle{}).Width
		lx -= w
		objs = append(objs, text(cv.Name, fg, lx, 0))
		lx -= 16 + pad/2
		objs = append(objs, line(cv.Color, 2, lx, th/2, lx+16, th/2))
		lx -= 2 * pad
	}
	for _, cv := range r.c.Curves {
		for i := 1; i < len(cv.X) && i < len(cv.Y); i++ {
			objs = append(objs, line(cv.Color, 2, px(cv.X[i-1]), py(cv.Y[i-1]), px(cv.X[i]), py(cv.Y[i])))
		}
	}
	r.objects = objs
}
