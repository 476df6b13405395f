package render

import (
	"image"
	"image/color"
)

// Tick is a labelled position along a colour bar; Pos is the normalised
// value in [0, 1].
type Tick struct {
	Pos   float64
	Label string
}

// ColorBarOptions control ColorBar. The zero value draws a horizontal bar
// with no labels.
type ColorBarOptions struct {
	// Vertical puts 0 at the bottom and 1 at the top; otherwise 0 is at the
	// left.
	Vertical bool
	// Ticks are drawn as short marks with labels beside the bar (below a
	// horizontal one, right of a vertical one), inside the requested size.
	Ticks []Tick
	// FontSize is the label size in pixels; 0 means DefaultFontSize.
	FontSize float64
	// Background fills the label area; nil means transparent.
	Background color.Color
	// TextColor is the colour of labels and tick marks; nil means black.
	TextColor color.Color
}

// ColorBar draws a legend for cm filling a width x height image. Without
// ticks the whole image is the bar; with ticks the bar leaves room for the
// labels.
func ColorBar(cm *Colormap, width, height int, opt ColorBarOptions) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	if opt.Background != nil {
		fill(img, img.Rect, opt.Background)
	}
	fg := opt.TextColor
	if fg == nil {
		fg = color.Black
	}
	bar := img.Rect
	var lh, tickLen, maxLabel int
	face := NewFace(opt.FontSize)
	if len(opt.Ticks) > 0 {
		lh = lineHeight(face)
		tickLen = max(3, lh/3)
		for _, t := range opt.Ticks {
			maxLabel = max(maxLabel, textWidth(face, t.Label))
		}
		if opt.Vertical {
			bar.Max.X = max(bar.Min.X+1, width-tickLen-2-maxLabel)
		} else {
			bar.Max.Y = max(bar.Min.Y+1, height-tickLen-1-lh)
		}
	}
	paintBar(img, bar, cm, opt.Vertical)
	for _, t := range opt.Ticks {
		p := min(max(t.Pos, 0), 1)
		w := textWidth(face, t.Label)
		if opt.Vertical {
			// Pixel row whose centre is at value p, 1 at the top.
			y := bar.Min.Y + min(int((1-p)*float64(bar.Dy())), bar.Dy()-1)
			fill(img, image.Rect(bar.Max.X, y, bar.Max.X+tickLen, y+1), fg)
			top := min(max(y-lh/2, 0), height-lh)
			drawText(img, face, t.Label, bar.Max.X+tickLen+2, top, fg)
		} else {
			x := bar.Min.X + min(int(p*float64(bar.Dx())), bar.Dx()-1)
			fill(img, image.Rect(x, bar.Max.Y, x+1, bar.Max.Y+tickLen), fg)
			left := min(max(x-w/2, 0), width-w)
			drawText(img, face, t.Label, left, bar.Max.Y+tickLen+1, fg)
		}
	}
	return img
}

// paintBar fills r with the colormap's ramp, sampling each column (or row)
// at its pixel centre.
func paintBar(img *image.RGBA, r image.Rectangle, cm *Colormap, vertical bool) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			var v float64
			if vertical {
				v = 1 - (float64(y-r.Min.Y)+0.5)/float64(r.Dy())
			} else {
				v = (float64(x-r.Min.X) + 0.5) / float64(r.Dx())
			}
			img.SetRGBA(x, y, cm.At(float32(v)))
		}
	}
}
