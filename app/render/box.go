package render

import (
	"image"
	"image/color"
)

// ThresholdBox returns the bounding box of the largest 8-connected region of
// pixels whose value is at least level, as in the CAM paper's localisation
// (level 0.2 on a min-max normalised map keeps pixels above 20% of its
// range). ok is false if no pixel reaches level. Ties between equally large
// regions go to the one found first in row-major order.
func ThresholdBox(m Map, level float32) (box image.Rectangle, ok bool) {
	m.check()
	// A one-pixel frame of "done" cells around the map lets the flood fill
	// visit all 8 neighbours without bounds checks.
	pw := m.W + 2
	todo := make([]bool, pw*(m.H+2))
	above := 0
	for y := 0; y < m.H; y++ {
		row := m.Data[y*m.W : (y+1)*m.W]
		prow := todo[(y+1)*pw+1 : (y+1)*pw+1+m.W]
		for x, v := range row {
			prow[x] = v >= level
			if prow[x] {
				above++
			}
		}
	}
	nb := [8]int{-pw - 1, -pw, -pw + 1, -1, 1, pw - 1, pw, pw + 1}
	// A pixel enters the stack once: sized for all of them at the start, it
	// never grows (growing it took most of the time on 12 MP photos).
	stack := make([]int, 0, above)
	best := 0
	for start, t := range todo {
		if !t {
			continue
		}
		todo[start] = false
		stack = append(stack[:0], start)
		n := 0
		r := image.Rect(start%pw, start/pw, start%pw, start/pw)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			x, y := p%pw, p/pw
			r.Min.X, r.Max.X = min(r.Min.X, x), max(r.Max.X, x)
			r.Min.Y, r.Max.Y = min(r.Min.Y, y), max(r.Max.Y, y)
			for _, d := range nb {
				if q := p + d; todo[q] {
					todo[q] = false
					stack = append(stack, q)
				}
			}
		}
		if n > best {
			// Padded coordinates are one more than the map's.
			best, box = n, image.Rect(r.Min.X-1, r.Min.Y-1, r.Max.X, r.Max.Y)
		}
	}
	return box, best > 0
}

// DrawRect draws the outline of r, width pixels thick inside r, clipped to
// dst. Colours with alpha below 255 are composited over dst.
func DrawRect(dst *image.RGBA, r image.Rectangle, c color.Color, width int) {
	if width <= 0 || r.Empty() {
		return
	}
	w := min(width, (r.Dx()+1)/2, (r.Dy()+1)/2)
	rc := color.RGBAModel.Convert(c).(color.RGBA)
	paint(dst, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+w), rc)
	paint(dst, image.Rect(r.Min.X, r.Max.Y-w, r.Max.X, r.Max.Y), rc)
	paint(dst, image.Rect(r.Min.X, r.Min.Y+w, r.Min.X+w, r.Max.Y-w), rc)
	paint(dst, image.Rect(r.Max.X-w, r.Min.Y+w, r.Max.X, r.Max.Y-w), rc)
}
