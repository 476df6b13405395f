package render

import (
	"image"
	"image/draw"
)

// Heat is a map prepared for blending over one photo: upsampled to the
// photo's size once and coloured once, so that moving the opacity slider
// only re-blends (Blend) and changing the colormap only re-colours
// (SetColormap). A Heat is not safe for concurrent mutation; Blend may run
// concurrently on different destinations.
type Heat struct {
	values Map             // upsampled map, photo-sized, 0 outside inside
	inside image.Rectangle // photo pixels covered by the map
	cm     *Colormap
	rgba   []uint8 // heat colours for the inside pixels, 4 bytes each, row-major
}

// NewHeat upsamples m (values in [0, 1], see Normalize) over the rectangle
// cover of a photo of the given size and colours it with cm.
func NewHeat(m Map, cover Rect, size image.Point, cm *Colormap) *Heat {
	values, in := Upsample(m, cover, size.X, size.Y)
	h := &Heat{values: values, inside: in}
	h.SetColormap(cm)
	return h
}

// Remap replaces the heat's map by m over cover, keeping its size and
// colormap and reusing its buffers: a series of maps over one large photo
// then costs no new memory.
func (h *Heat) Remap(m Map, cover Rect) {
	h.inside = upsampleInto(h.values, m, cover)
	h.SetColormap(h.cm)
}

// Size returns the size of the photo the heat was prepared for.
func (h *Heat) Size() image.Point { return image.Pt(h.values.W, h.values.H) }

// Values returns the upsampled map (photo-sized, 0 outside Inside). It is
// shared with the Heat: do not modify it.
func (h *Heat) Values() Map { return h.values }

// SetColormap re-colours the heat with cm.
func (h *Heat) SetColormap(cm *Colormap) {
	h.cm = cm
	n := h.inside.Dx() * h.inside.Dy() * 4
	if cap(h.rgba) < n {
		h.rgba = make([]uint8, n)
	}
	h.rgba = h.rgba[:n]
	w, in := h.values.W, h.inside
	rows(in.Dy(), in.Dx(), func(y0, y1 int) {
		k := y0 * in.Dx() * 4
		for y := in.Min.Y + y0; y < in.Min.Y+y1; y++ {
			for _, v := range h.values.Data[y*w+in.Min.X : y*w+in.Max.X] {
				c := cm.lut[index(v)]
				p := h.rgba[k : k+4 : k+4]
				p[0], p[1], p[2], p[3] = c.R, c.G, c.B, 255
				k += 4
			}
		}
	})
}

// Blend writes opacity*heat + (1-opacity)*photo, per channel, to dst, and
// copies the photo where the map does not reach. opacity is clamped to
// [0, 1]; 0 reproduces the photo exactly and 1 the heat exactly. dst and
// photo must have the heat's size (their origins may differ from 0,0); dst
// may be photo, though re-blending a blended image compounds.
func (h *Heat) Blend(dst, photo *image.RGBA, opacity float64) {
	size := h.Size()
	if dst.Rect.Size() != size || photo.Rect.Size() != size {
		panic("render: Heat.Blend: image size differs from the heat's")
	}
	// 8.8 fixed point: with a in 0..256, (h*a + p*(256-a) + 128) >> 8 is
	// exactly p for a = 0 and exactly h for a = 256, and within 0.5 of the
	// exact blend in between.
	a := uint32(min(max(opacity, 0), 1)*256 + 0.5)
	na := 256 - a
	in := h.inside
	rw := in.Dx() * 4
	rows(size.Y, size.X, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			d := dst.Pix[dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+y):]
			p := photo.Pix[photo.PixOffset(photo.Rect.Min.X, photo.Rect.Min.Y+y):]
			d, p = d[:size.X*4], p[:size.X*4]
			if y < in.Min.Y || y >= in.Max.Y {
				copy(d, p)
				continue
			}
			x0, x1 := in.Min.X*4, in.Max.X*4
			copy(d[:x0], p[:x0])
			copy(d[x1:], p[x1:])
			hp := h.rgba[(y-in.Min.Y)*rw : (y-in.Min.Y+1)*rw]
			d, p = d[x0:x1], p[x0:x1]
			for i := 0; i+3 < len(hp); i += 4 {
				dd := d[i : i+4 : i+4]
				pp := p[i : i+4 : i+4]
				hh := hp[i : i+4 : i+4]
				dd[0] = uint8((uint32(hh[0])*a + uint32(pp[0])*na + 128) >> 8)
				dd[1] = uint8((uint32(hh[1])*a + uint32(pp[1])*na + 128) >> 8)
				dd[2] = uint8((uint32(hh[2])*a + uint32(pp[2])*na + 128) >> 8)
				dd[3] = uint8((uint32(hh[3])*a + uint32(pp[3])*na + 128) >> 8)
			}
		}
	})
}

// ToRGBA returns img as an *image.RGBA with its origin at (0, 0): img itself
// if it already is one, a converted copy otherwise.
func ToRGBA(img image.Image) *image.RGBA {
	if rgba, ok := img.(*image.RGBA); ok && rgba.Rect.Min == (image.Point{}) {
		return rgba
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}
