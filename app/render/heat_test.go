package render

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"slices"
	"testing"
)

// blendRef is the float blend out = a*heat + (1-a)*photo, rounded, with the
// photo left alone outside the covered rectangle.
func blendRef(h *Heat, photo *image.RGBA, a float64) *image.RGBA {
	heat := h.Image()
	out := image.NewRGBA(photo.Rect)
	for y := 0; y < photo.Rect.Dy(); y++ {
		for x := 0; x < photo.Rect.Dx(); x++ {
			p := photo.RGBAAt(x, y)
			if !image.Pt(x, y).In(h.Inside()) {
				out.SetRGBA(x, y, p)
				continue
			}
			q := heat.RGBAAt(x, y)
			mix := func(hv, pv uint8) uint8 { return uint8(math.Round(a*float64(hv) + (1-a)*float64(pv))) }
			out.SetRGBA(x, y, color.RGBA{mix(q.R, p.R), mix(q.G, p.G), mix(q.B, p.B), mix(q.A, p.A)})
		}
	}
	return out
}

func TestHeatBlend(t *testing.T) {
	photo := testPhoto(160, 120)
	m := blobMap(7, 2, 4)
	cover := Rect{20, 0, 120, 120} // center crop
	h := NewHeat(m, cover, photo.Rect.Size(), Jet)
	dst := image.NewRGBA(photo.Rect)
	for _, a := range []float64{0, 0.1, 0.25, 0.5, 0.77, 1} {
		h.Blend(dst, photo, a)
		// 8.8 fixed point may round the other way from the float blend.
		if err := compareImages(dst, blendRef(h, photo, a), 1); err != nil {
			t.Errorf("opacity %g: %v", a, err)
		}
	}
	h.Blend(dst, photo, 0)
	if !bytes.Equal(dst.Pix, photo.Pix) {
		t.Error("opacity 0 does not reproduce the photo exactly")
	}
	h.Blend(dst, photo, 1)
	if err := compareImages(dst, blendRef(h, photo, 1), 0); err != nil {
		t.Errorf("opacity 1 is not exactly the heat: %v", err)
	}
	// Opacity is clamped.
	h.Blend(dst, photo, -3)
	if !bytes.Equal(dst.Pix, photo.Pix) {
		t.Error("opacity -3 does not give the photo")
	}
}

// TestHeatRemap: a heat remapped with another map and cover (its buffers
// reused) equals a heat made fresh, on a picture large enough for the
// passes to split their rows over the cores: nothing of the earlier map
// remains outside the new cover.
func TestHeatRemap(t *testing.T) {
	photo := testPhoto(900, 700)
	size := photo.Rect.Size()
	h := NewHeat(blobMap(7, 2, 4), FullRect(900, 700), size, Jet)
	m := blobMap(7, 5, 1)
	cover := Rect{100, 0, 700, 700}
	h.Remap(m, cover)
	want := NewHeat(m, cover, size, Jet)
	if h.Inside() != want.Inside() || !slices.Equal(h.Values().Data, want.Values().Data) {
		t.Fatal("remapped values differ from a fresh heat's")
	}
	got, exp := image.NewRGBA(photo.Rect), image.NewRGBA(photo.Rect)
	h.Blend(got, photo, 0.6)
	want.Blend(exp, photo, 0.6)
	if err := compareImages(got, exp, 0); err != nil {
		t.Fatalf("remapped blend: %v", err)
	}
	if err := compareImages(got, blendRef(want, photo, 0.6), 1); err != nil {
		t.Fatalf("parallel blend against the reference: %v", err)
	}
}

func TestHeatBlendSubImages(t *testing.T) {
	// Images whose origin is not (0,0), and a stride wider than the image.
	big := testPhoto(200, 150)
	photo := big.SubImage(image.Rect(20, 10, 180, 130)).(*image.RGBA)
	dstBig := image.NewRGBA(image.Rect(-5, -5, 300, 300))
	dst := dstBig.SubImage(image.Rect(0, 0, 160, 120)).(*image.RGBA)
	h := NewHeat(blobMap(7, 3, 3), FullRect(160, 120), image.Pt(160, 120), Viridis)
	h.Blend(dst, photo, 0.6)
	want := blendRef(h, ToRGBA(photo), 0.6)
	if err := compareImages(dst, want, 1); err != nil {
		t.Error(err)
	}
}

func TestHeatSetColormap(t *testing.T) {
	size := image.Pt(64, 48)
	m := blobMap(7, 2, 4)
	h := NewHeat(m, FullRect(64, 48), size, Jet)
	h.SetColormap(Magma)
	fresh := NewHeat(m, FullRect(64, 48), size, Magma)
	if !bytes.Equal(h.Image().Pix, fresh.Image().Pix) || h.Colormap() != Magma {
		t.Error("SetColormap differs from a Heat built with that colormap")
	}
}

func TestOverlayGoldens(t *testing.T) {
	photo := testPhoto(160, 120)
	m := blobMap(7, 2, 4)
	cover := Rect{20, 0, 120, 120}
	for _, tc := range []struct {
		name    string
		opacity float64
	}{{"overlay_0.png", 0}, {"overlay_50.png", 0.5}, {"overlay_100.png", 1}} {
		checkGolden(t, tc.name, Overlay(photo, m, cover, Jet, tc.opacity))
	}
	if got := Overlay(photo, m, cover, Jet, 0); !bytes.Equal(got.Pix, photo.Pix) {
		t.Error("opacity 0 is not exactly the photo")
	}
	// Opacity 1 is exactly the heat inside the crop, the photo outside it.
	h := NewHeat(m, cover, photo.Rect.Size(), Jet)
	want := h.Image()
	for y := 0; y < 120; y++ {
		for x := 0; x < 160; x++ {
			if !image.Pt(x, y).In(h.Inside()) {
				want.SetRGBA(x, y, photo.RGBAAt(x, y))
			}
		}
	}
	if got := Overlay(photo, m, cover, Jet, 1); !bytes.Equal(got.Pix, want.Pix) {
		t.Error("opacity 1 is not exactly the heat")
	}
}

func benchHeats(n int, size image.Point) ([]*Heat, *image.RGBA, []*image.RGBA) {
	photo := testPhoto(size.X, size.Y)
	heats := make([]*Heat, n)
	dsts := make([]*image.RGBA, n)
	for i := range heats {
		heats[i] = NewHeat(blobMap(7, float64(i), 3), FullRect(size.X, size.Y), size, Turbo)
		dsts[i] = image.NewRGBA(photo.Rect)
	}
	return heats, photo, dsts
}

// BenchmarkReblend5Tiles400x300 is what one opacity slider move costs the
// GUI: re-blending five cached heats over a 400x300 photo.
func BenchmarkReblend5Tiles400x300(b *testing.B) {
	heats, photo, dsts := benchHeats(5, image.Pt(400, 300))
	b.ReportAllocs()
	a := 0.0
	for b.Loop() {
		a += 0.01
		for i, h := range heats {
			h.Blend(dsts[i], photo, math.Mod(a, 1))
		}
	}
}

// BenchmarkNewHeat400x300 is the one-off cost per map: upsample and colour.
func BenchmarkNewHeat400x300(b *testing.B) {
	m := blobMap(7, 2, 4)
	b.ReportAllocs()
	for b.Loop() {
		NewHeat(m, FullRect(400, 300), image.Pt(400, 300), Turbo)
	}
}

// BenchmarkRecolor400x300 is the cost of a colormap change per tile.
func BenchmarkRecolor400x300(b *testing.B) {
	h := NewHeat(blobMap(7, 2, 4), FullRect(400, 300), image.Pt(400, 300), Turbo)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		h.SetColormap(colormaps[i%len(colormaps)])
	}
}

// Used by the tests only.

// Inside returns the photo pixels the map covers.
func (h *Heat) Inside() image.Rectangle { return h.inside }

// Colormap returns the colormap in use.
func (h *Heat) Colormap() *Colormap { return h.cm }

// Image returns the coloured heat as a photo-sized image, transparent where
// the map does not cover the photo.
func (h *Heat) Image() *image.RGBA {
	img := image.NewRGBA(image.Rectangle{Max: h.Size()})
	rw := h.inside.Dx() * 4
	for y := h.inside.Min.Y; y < h.inside.Max.Y; y++ {
		o := img.PixOffset(h.inside.Min.X, y)
		k := (y - h.inside.Min.Y) * rw
		copy(img.Pix[o:o+rw], h.rgba[k:k+rw])
	}
	return img
}

// Overlay blends the normalised map m (values in [0, 1]), covering the
// rectangle cover of the photo, over the photo with colormap cm at the given
// opacity. For repeated blends of the same map use NewHeat and Heat.Blend.
func Overlay(photo image.Image, m Map, cover Rect, cm *Colormap, opacity float64) *image.RGBA {
	p := ToRGBA(photo)
	h := NewHeat(m, cover, p.Rect.Size(), cm)
	out := image.NewRGBA(p.Rect)
	h.Blend(out, p, opacity)
	return out
}
