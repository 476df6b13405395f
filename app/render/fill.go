package render

import (
	"image"
	"image/color"
)

// fill paints r (clipped to img) with c.
func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	rc := color.RGBAModel.Convert(c).(color.RGBA)
	px := [4]uint8{rc.R, rc.G, rc.B, rc.A}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			copy(row[i:i+4], px[:])
		}
	}
}

// paint fills r (clipped to dst) with c, composited over dst (Porter-Duff
// over on premultiplied colours; an opaque c simply replaces).
func paint(dst *image.RGBA, r image.Rectangle, rc color.RGBA) {
	r = r.Intersect(dst.Rect)
	na := uint32(255 - rc.A)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := dst.Pix[dst.PixOffset(r.Min.X, y):dst.PixOffset(r.Max.X, y)]
		for i := 0; i+3 < len(row); i += 4 {
			p := row[i : i+4 : i+4]
			if rc.A == 255 {
				p[0], p[1], p[2], p[3] = rc.R, rc.G, rc.B, 255
				continue
			}
			p[0] = rc.R + uint8((uint32(p[0])*na+127)/255)
			p[1] = rc.G + uint8((uint32(p[1])*na+127)/255)
			p[2] = rc.B + uint8((uint32(p[2])*na+127)/255)
			p[3] = rc.A + uint8((uint32(p[3])*na+127)/255)
		}
	}
}
