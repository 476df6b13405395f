package render

import (
	"image"
	"math"
)

// Rect is a rectangle in continuous photo coordinates, where pixel (x, y)
// covers [x, x+1) x [y, y+1) and has its centre at (x+0.5, y+0.5). It says
// which part of the photo a map covers: the whole photo for a plain resize,
// the centre square for resize-then-center-crop.
type Rect struct {
	X, Y, W, H float64
}

// FullRect returns the rectangle covering a whole w x h photo.
func FullRect(w, h int) Rect { return Rect{0, 0, float64(w), float64(h)} }

// Pixels returns the photo pixels whose centres lie inside r (half-open:
// a centre on the right or bottom edge is outside), clipped to a
// width x height photo. A rectangle with no area or a non-finite
// coordinate covers nothing.
func (r Rect) Pixels(width, height int) image.Rectangle {
	for _, v := range []float64{r.X, r.Y, r.W, r.H} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return image.Rectangle{}
		}
	}
	if !(r.W > 0 && r.H > 0) {
		return image.Rectangle{}
	}
	// Centre x+0.5 in [X, X+W)  <=>  x in [ceil(X-0.5), ceil(X+W-0.5)).
	p := image.Rect(
		int(math.Ceil(r.X-0.5)), int(math.Ceil(r.Y-0.5)),
		int(math.Ceil(r.X+r.W-0.5)), int(math.Ceil(r.Y+r.H-0.5)),
	)
	return p.Intersect(image.Rect(0, 0, width, height))
}

// tap is one output coordinate's bilinear footprint: source indices i0, i1
// and the weight f of i1.
type tap struct {
	i0, i1 int
	f      float32
}

// taps computes the footprint for the n output pixels starting at pixel
// first along one axis, for a map of size cells laid over [origin,
// origin+extent). Cell k has its centre at origin + (k+0.5)*extent/cells;
// outside the outermost centres the value is clamped to the edge cell.
func taps(first, n, cells int, origin, extent float64) []tap {
	t := make([]tap, n)
	scale := float64(cells) / extent
	for k := range t {
		u := (float64(first+k)+0.5-origin)*scale - 0.5
		u = min(max(u, 0), float64(cells-1))
		i0 := int(u) // u >= 0, so truncation is floor
		i1 := min(i0+1, cells-1)
		t[k] = tap{i0, i1, float32(u - float64(i0))}
	}
	return t
}

// Upsample resamples m bilinearly to a width x height photo, where m covers
// the rectangle cover of the photo: feature cell (i, j) has its centre at
// (cover.X + (j+0.5)*cover.W/m.W, cover.Y + (i+0.5)*cover.H/m.H), values
// beyond the outermost centres are clamped to the edge cells, and pixels
// whose centres fall outside cover are 0 (no heat). It also returns those
// covered pixels. The map is resampled as floats; quantise only afterwards.
// NaN and ±Inf spread to their neighbours: pass a normalised map.
func Upsample(m Map, cover Rect, width, height int) (Map, image.Rectangle) {
	out := NewMap(width, height)
	return out, upsampleInto(out, m, cover)
}

// upsampleInto is Upsample into out, whose size is the photo's and whose
// earlier contents are all overwritten.
func upsampleInto(out, m Map, cover Rect) image.Rectangle {
	m.check()
	width, height := out.W, out.H
	in := cover.Pixels(width, height)
	if m.W == 0 || m.H == 0 || in.Empty() {
		clear(out.Data)
		return image.Rectangle{}
	}
	cols := taps(in.Min.X, in.Dx(), m.W, cover.X, cover.W)
	taprows := taps(in.Min.Y, in.Dy(), m.H, cover.Y, cover.H)
	rows(height, width, func(y0, y1 int) {
		// Blend the two source rows first (m.W values), then along the
		// row: two multiply-adds per output pixel instead of four.
		tmp := make([]float32, m.W)
		for y := y0; y < y1; y++ {
			row := out.Data[y*width : (y+1)*width]
			if y < in.Min.Y || y >= in.Max.Y {
				clear(row)
				continue
			}
			clear(row[:in.Min.X])
			clear(row[in.Max.X:])
			r := taprows[y-in.Min.Y]
			r0 := m.Data[r.i0*m.W : r.i0*m.W+m.W]
			r1 := m.Data[r.i1*m.W : r.i1*m.W+m.W]
			for j := range tmp {
				tmp[j] = r0[j] + r.f*(r1[j]-r0[j])
			}
			row = row[in.Min.X:in.Max.X]
			for x, c := range cols {
				a, b := tmp[c.i0], tmp[c.i1]
				row[x] = a + c.f*(b-a)
			}
		}
	})
	return in
}
