package render

import (
	"image"
	"image/color"
	"math"
)

// Corners of a marching-squares cell, as bits of its case index: a is the
// cell's top-left sample, then clockwise.
const (
	cornerA = 1 << iota // (x, y)
	cornerB             // (x+1, y)
	cornerC             // (x+1, y+1)
	cornerD             // (x, y+1)
)

// Edges of a cell, between corners: top a-b, right b-c, bottom d-c, left a-d.
const (
	edgeT = iota
	edgeR
	edgeB
	edgeL
)

// cellSegments lists, for each case index (bit set = sample at or above the
// level), the pairs of edges joined by the iso-line. Cases 5 and 10 are the
// saddles; they are resolved separately from the cell's centre value.
var cellSegments = [16][]int{
	0:  nil,
	1:  {edgeL, edgeT},
	2:  {edgeT, edgeR},
	3:  {edgeL, edgeR},
	4:  {edgeR, edgeB},
	6:  {edgeT, edgeB},
	7:  {edgeL, edgeB},
	8:  {edgeB, edgeL},
	9:  {edgeT, edgeB},
	11: {edgeR, edgeB},
	12: {edgeL, edgeR},
	13: {edgeT, edgeR},
	14: {edgeL, edgeT},
	15: nil,
}

// Contour is an iso-line of a map rasterised once: the pixels it touches
// with their anti-aliased coverage. Drawing it again over a re-blended tile
// costs microseconds, so the GUI can keep it across opacity changes.
type Contour struct {
	w   int       // width of the traced map
	pix []int32   // pixel indices (y*w + x) the line touches
	cov []float32 // their coverage in (0, 1]
}

// DrawContour draws the iso-line of m at level over dst in colour c; see
// NewContour for the line's geometry. To draw the same line repeatedly, keep
// the NewContour result.
func DrawContour(dst *image.RGBA, m Map, level float32, c color.Color, width float64) {
	NewContour(m, level, width).Draw(dst, c)
}

// NewContour traces the iso-line of m at level as an anti-aliased line
// width pixels wide (fractions allowed), by marching squares over the pixel
// centres with linear interpolation along cell edges. The line separates
// values at or above level from those below; the map's own border is not part
// of it, so a region running off the photo stays open. NaN counts as below
// the level. Where pieces of the line meet, a pixel keeps the largest
// coverage of any piece, so translucent colours stay even.
func NewContour(m Map, level float32, width float64) *Contour {
	m.check()
	ct := &Contour{w: m.W}
	if !(width > 0) || m.W < 2 || m.H < 2 {
		return ct
	}
	cov := make([]float32, len(m.Data))
	half := width / 2
	at := func(x, y int) float32 { return m.Data[y*m.W+x] }
	for y := 0; y+1 < m.H; y++ {
		for x := 0; x+1 < m.W; x++ {
			va, vb, vc, vd := at(x, y), at(x+1, y), at(x+1, y+1), at(x, y+1)
			idx := b2i(va >= level) | b2i(vb >= level)<<1 | b2i(vc >= level)<<2 | b2i(vd >= level)<<3
			if idx == 0 || idx == 15 {
				continue
			}
			// Where the line crosses each edge, in pixel-index coordinates
			// (pixel (x, y) at (x, y)). Only edges with a sign change are used.
			cross := func(e int) (float64, float64) {
				switch e {
				case edgeT:
					return float64(x) + frac(va, vb, level), float64(y)
				case edgeR:
					return float64(x + 1), float64(y) + frac(vb, vc, level)
				case edgeB:
					return float64(x) + frac(vd, vc, level), float64(y + 1)
				default:
					return float64(x), float64(y) + frac(va, vd, level)
				}
			}
			segs := cellSegments[idx]
			switch idx {
			case cornerA | cornerC, cornerB | cornerD:
				// A saddle: the centre's side decides which corners the
				// line cuts off. If the centre is with a and c, it cuts off b
				// and d, and vice versa.
				centreIn := (va+vb+vc+vd)/4 >= level
				if centreIn == (idx == cornerA|cornerC) {
					segs = []int{edgeT, edgeR, edgeB, edgeL}
				} else {
					segs = []int{edgeL, edgeT, edgeR, edgeB}
				}
			}
			for i := 0; i+1 < len(segs); i += 2 {
				x0, y0 := cross(segs[i])
				x1, y1 := cross(segs[i+1])
				strokeSegment(cov, m.W, m.H, x0, y0, x1, y1, half)
			}
		}
	}
	for i, k := range cov {
		if k > 0 {
			ct.pix = append(ct.pix, int32(i))
			ct.cov = append(ct.cov, k)
		}
	}
	return ct
}

// Draw paints the line over dst in colour c, composited by coverage. Pixel
// (x, y) of the traced map is dst pixel dst.Rect.Min + (x, y), so the map is
// normally a Heat's Values and dst the blended tile; pixels outside dst are
// skipped.
func (ct *Contour) Draw(dst *image.RGBA, c color.Color) {
	rc := color.RGBAModel.Convert(c).(color.RGBA)
	for n, i := range ct.pix {
		p := dst.Rect.Min.Add(image.Pt(int(i)%ct.w, int(i)/ct.w))
		if p.In(dst.Rect) {
			blendPixel(dst.Pix[dst.PixOffset(p.X, p.Y):], rc, ct.cov[n])
		}
	}
}

// b2i is 1 for true and 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// frac returns where between samples v0 (at 0) and v1 (at 1) the linear
// interpolant reaches level; the caller guarantees they lie on opposite
// sides. Infinities and NaN (NaN counts as below the level) stay in [0, 1].
func frac(v0, v1, level float32) float64 {
	f := float64((level - v0) / (v1 - v0))
	if !(f >= 0) {
		return 0
	}
	return min(f, 1)
}

// strokeSegment raises cov to the coverage of a segment of half-width half,
// estimated per pixel as 1 - (distance beyond half), a box filter one pixel
// wide across the line's edge.
func strokeSegment(cov []float32, w, h int, x0, y0, x1, y1, half float64) {
	reach := half + 0.5
	minX := max(int(math.Floor(min(x0, x1)-reach)), 0)
	maxX := min(int(math.Ceil(max(x0, x1)+reach)), w-1)
	minY := max(int(math.Floor(min(y0, y1)-reach)), 0)
	maxY := min(int(math.Ceil(max(y0, y1)+reach)), h-1)
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	for py := minY; py <= maxY; py++ {
		for px := minX; px <= maxX; px++ {
			// Distance from the pixel centre to the segment.
			t := 0.0
			if l2 > 0 {
				t = min(max(((float64(px)-x0)*dx+(float64(py)-y0)*dy)/l2, 0), 1)
			}
			ex, ey := float64(px)-(x0+t*dx), float64(py)-(y0+t*dy)
			k := float32(min(max(reach-math.Sqrt(ex*ex+ey*ey), 0), 1))
			if i := py*w + px; k > cov[i] {
				cov[i] = k
			}
		}
	}
}

// blendPixel composites premultiplied colour c at coverage k in (0, 1] over
// the pixel p[0:4].
func blendPixel(p []uint8, c color.RGBA, k float32) {
	p = p[:4:4]
	keep := 1 - k*float32(c.A)/255
	p[0] = uint8(min(float32(c.R)*k+float32(p[0])*keep+0.5, 255))
	p[1] = uint8(min(float32(c.G)*k+float32(p[1])*keep+0.5, 255))
	p[2] = uint8(min(float32(c.B)*k+float32(p[2])*keep+0.5, 255))
	p[3] = uint8(min(float32(c.A)*k+float32(p[3])*keep+0.5, 255))
}
