package render

import (
	"image"
	"image/color"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// DefaultFontSize is the caption size, in pixels, used when options leave
// it 0.
const DefaultFontSize = 13

// goRegular is the parsed Go Regular font: clean, embedded in x/image, so
// captions look the same on every machine without system fonts.
var goRegular = sync.OnceValue(func() *opentype.Font {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		panic("render: parse embedded Go Regular font: " + err.Error())
	}
	return f
})

// NewFace returns a Go Regular face of the given size in pixels (72 DPI).
// A face is not safe for concurrent use: make one per goroutine.
func NewFace(size float64) font.Face {
	if size <= 0 {
		size = DefaultFontSize
	}
	face, err := opentype.NewFace(goRegular(), &opentype.FaceOptions{
		Size:    size,
		DPI:     72,
		Hinting: font.HintingFull,
	})
	if err != nil {
		panic("render: make font face: " + err.Error())
	}
	return face
}

// lineHeight returns the pixel height of one line of text in face.
func lineHeight(face font.Face) int {
	m := face.Metrics()
	return (m.Ascent + m.Descent).Ceil()
}

// textWidth returns the advance width of s in pixels.
func textWidth(face font.Face, s string) int {
	return font.MeasureString(face, s).Ceil()
}

// fitText shortens s with an ellipsis until it is at most width pixels wide.
func fitText(face font.Face, s string, width int) string {
	if textWidth(face, s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 {
		r = r[:len(r)-1]
		t := string(r) + "…"
		if textWidth(face, t) <= width {
			return t
		}
	}
	return ""
}

// drawText draws s with its top-left corner at (x, top).
func drawText(dst *image.RGBA, face font.Face, s string, x, top int, c color.Color) {
	d := font.Drawer{
		Dst:  dst,
		Src:  image.NewUniform(c),
		Face: face,
		Dot:  fixed.P(x, top+face.Metrics().Ascent.Ceil()),
	}
	d.DrawString(s)
}
