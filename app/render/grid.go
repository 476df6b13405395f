package render

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// Tile is one image of a grid with its caption, such as an overlay titled
// "1. tabby cat 36.6%".
type Tile struct {
	Image image.Image
	Title string
}

// GridOptions control Grid. The zero value gives a near-square grid with
// 8-pixel padding, black text on white.
type GridOptions struct {
	// Columns is the number of tiles per row; 0 means ceil(sqrt(n)).
	Columns int
	// Padding is the space in pixels around and between cells; negative
	// means none.
	Padding int
	// FontSize is the caption size in pixels; 0 means DefaultFontSize.
	FontSize float64
	// Background fills the space around tiles; nil means white.
	Background color.Color
	// TextColor is the caption colour; nil means a dark grey.
	TextColor color.Color
}

const defaultPadding = 8

// Grid lays tiles out left to right, top to bottom, in cells as large as the
// largest tile, each image centred in its cell with its title centred below
// (shortened with an ellipsis if wider than the cell). Titles are omitted,
// and take no room, when all are empty. No tiles give an empty image.
func Grid(tiles []Tile, opt GridOptions) *image.RGBA {
	n := len(tiles)
	if n == 0 {
		return image.NewRGBA(image.Rectangle{})
	}
	cols := opt.Columns
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	cols = min(cols, n)
	rows := (n + cols - 1) / cols
	pad := opt.Padding
	if pad == 0 {
		pad = defaultPadding
	}
	pad = max(pad, 0)
	bg, fg := opt.Background, opt.TextColor
	if bg == nil {
		bg = color.White
	}
	if fg == nil {
		fg = color.RGBA{40, 40, 40, 255}
	}

	var cellW, imgH int
	captions := false
	for _, t := range tiles {
		b := t.Image.Bounds()
		cellW, imgH = max(cellW, b.Dx()), max(imgH, b.Dy())
		captions = captions || t.Title != ""
	}
	face := NewFace(opt.FontSize)
	capH, gap := 0, 0
	if captions {
		capH = lineHeight(face)
		gap = max(2, capH/3)
	}
	cellH := imgH + gap + capH

	out := image.NewRGBA(image.Rect(0, 0, cols*cellW+(cols+1)*pad, rows*cellH+(rows+1)*pad))
	fill(out, out.Rect, bg)
	for i, t := range tiles {
		x0 := pad + (i%cols)*(cellW+pad)
		y0 := pad + (i/cols)*(cellH+pad)
		b := t.Image.Bounds()
		at := image.Pt(x0+(cellW-b.Dx())/2, y0+(imgH-b.Dy())/2)
		draw.Draw(out, image.Rectangle{at, at.Add(b.Size())}, t.Image, b.Min, draw.Over)
		if t.Title != "" {
			s := fitText(face, t.Title, cellW)
			drawText(out, face, s, x0+(cellW-textWidth(face, s))/2, y0+imgH+gap, fg)
		}
	}
	return out
}
