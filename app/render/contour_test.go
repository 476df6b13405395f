package render

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// coverage returns, per pixel, how much white was painted over black.
func coverage(img *image.RGBA) []float64 {
	out := make([]float64, img.Rect.Dx()*img.Rect.Dy())
	for i := range out {
		out[i] = float64(img.Pix[i*4]) / 255
	}
	return out
}

func blackImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Rect, color.Black)
	return img
}

func TestDrawContourRamp(t *testing.T) {
	// v = x: the level-10.3 line is the vertical x = 10.3 (pixel centres at
	// integer x here), so pixels 10 and 11 are 0.3 and 0.7 away from it.
	m := NewMap(24, 6)
	for i := range m.Data {
		m.Data[i] = float32(i % 24)
	}
	tests := map[string]struct {
		width float64
		want  map[int]float64 // column -> coverage; others 0
	}{
		// Coverage is width/2 + 0.5 - distance, clamped to [0, 1]; across
		// the line it adds up to the width.
		"width 1":   {1, map[int]float64{10: 0.7, 11: 0.3}},
		"width 2":   {2, map[int]float64{9: 0.2, 10: 1, 11: 0.8}},
		"width 0.5": {0.5, map[int]float64{10: 0.45, 11: 0.05}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			img := blackImage(24, 6)
			DrawContour(img, m, 10.3, color.White, tc.width)
			cov := coverage(img)
			for y := 0; y < 6; y++ {
				for x := 0; x < 24; x++ {
					want := tc.want[x]
					if got := cov[y*24+x]; math.Abs(got-want) > 1.0/255+1e-9 {
						t.Fatalf("pixel (%d,%d) coverage %.3f, want %.3f", x, y, got, want)
					}
				}
			}
		})
	}
}

func TestDrawContourCircle(t *testing.T) {
	// v = r - distance to the centre: the level-0 line is a circle of radius
	// r. Every pixel centre within 0.25 of it must be mostly covered, and
	// nothing farther than width/2 + 1 may be painted.
	const n, r, width = 64, 20.0, 2.0
	cx, cy := 31.3, 32.6
	m := NewMap(n, n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			m.Data[y*n+x] = float32(r - math.Hypot(float64(x)-cx, float64(y)-cy))
		}
	}
	img := blackImage(n, n)
	DrawContour(img, m, 0, color.White, width)
	cov := coverage(img)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			d := math.Abs(math.Hypot(float64(x)-cx, float64(y)-cy) - r)
			k := cov[y*n+x]
			if d < 0.25 && k < 0.7 {
				t.Errorf("pixel (%d,%d), %.2f from the circle, coverage %.2f", x, y, d, k)
			}
			if d > width/2+1 && k > 0 {
				t.Errorf("pixel (%d,%d), %.2f from the circle, coverage %.2f", x, y, d, k)
			}
		}
	}
}

func TestDrawContourRegions(t *testing.T) {
	white := color.RGBA{255, 255, 255, 255}
	// A binary rectangle: the line runs half-way between inside and outside
	// pixel centres, so both sides get half coverage at width 1.
	img := blackImage(30, 20)
	DrawContour(img, rectsMap(30, 20, image.Rect(5, 4, 15, 12)), 0.5, white, 1)
	cov := coverage(img)
	if k := cov[8*30+4]; math.Abs(k-0.5) > 0.01 {
		t.Errorf("pixel left of the edge: coverage %.3f, want 0.5", k)
	}
	if k := cov[8*30+5]; math.Abs(k-0.5) > 0.01 {
		t.Errorf("pixel right of the edge: coverage %.3f, want 0.5", k)
	}
	if k := cov[8*30+10]; k != 0 {
		t.Errorf("pixel inside: coverage %.3f, want 0", k)
	}

	// A region running off the map is not closed along the map's border.
	img = blackImage(30, 20)
	DrawContour(img, rectsMap(30, 20, image.Rect(0, 0, 30, 10)), 0.5, white, 1)
	cov = coverage(img)
	for y := 0; y < 20; y++ {
		for x := 0; x < 30; x++ {
			want := 0.0
			if y == 9 || y == 10 {
				want = 0.5
			}
			if k := cov[y*30+x]; math.Abs(k-want) > 0.01 {
				t.Fatalf("pixel (%d,%d): coverage %.3f, want %.3f", x, y, k, want)
			}
		}
	}

	// Saddles: a checkerboard 2x2 block resolved by the centre value; with
	// the centre above the level the two hot corners join, and the line stays
	// within the map either way.
	m := Map{W: 2, H: 2, Data: []float32{1, 0, 0, 1}}
	for _, level := range []float32{0.4, 0.6} {
		img = blackImage(2, 2)
		DrawContour(img, m, level, white, 1)
		if countColor(img, color.RGBA{0, 0, 0, 255}) == 4 {
			t.Errorf("level %g: saddle drew nothing", level)
		}
	}
}

func TestDrawContourTranslucentIsEven(t *testing.T) {
	// A vertical line crosses many cells; where their pieces meet the
	// colour must not build up, so every row looks the same.
	m := NewMap(16, 12)
	for i := range m.Data {
		m.Data[i] = float32(i % 16)
	}
	img := blackImage(16, 12)
	DrawContour(img, m, 7.5, color.NRGBA{255, 0, 0, 128}, 2)
	for y := 1; y < 12; y++ {
		for x := 0; x < 16; x++ {
			if img.RGBAAt(x, y) != img.RGBAAt(x, 0) {
				t.Fatalf("pixel (%d,%d) = %v differs from row 0's %v", x, y, img.RGBAAt(x, y), img.RGBAAt(x, 0))
			}
		}
	}
	if got := img.RGBAAt(7, 0); got.R < 100 || got.R > 140 || got.G != 0 {
		t.Errorf("line pixel %v, want about half red over black", got)
	}
}

func TestDrawContourOffsetAndNaN(t *testing.T) {
	// dst with a non-zero origin: map pixel (x, y) is dst.Rect.Min + (x, y).
	m := rectsMap(10, 10, image.Rect(3, 3, 7, 7))
	big := blackImage(40, 40)
	dst := big.SubImage(image.Rect(20, 20, 30, 30)).(*image.RGBA)
	DrawContour(dst, m, 0.5, color.White, 1)
	if k := big.RGBAAt(22, 25).R; k < 120 || k > 135 {
		t.Errorf("pixel left of the region's edge: %d, want about 128", k)
	}
	if big.RGBAAt(5, 5).R != 0 {
		t.Error("painted outside dst")
	}
	// NaN counts as below the level and must not break the drawing.
	m.Data[0] = float32(math.NaN())
	m.Data[44] = float32(math.NaN())
	DrawContour(blackImage(10, 10), m, 0.5, color.White, 1)
}

func TestContourReuse(t *testing.T) {
	h := NewHeat(blobMap(7, 2, 4), FullRect(160, 120), image.Pt(160, 120), Jet)
	photo := testPhoto(160, 120)
	ct := NewContour(h.Values(), 0.5, 1.5)
	if ct.Len() == 0 {
		t.Fatal("no contour at 0.5")
	}
	for _, a := range []float64{0.3, 0.8} {
		want := image.NewRGBA(photo.Rect)
		h.Blend(want, photo, a)
		DrawContour(want, h.Values(), 0.5, color.White, 1.5)
		got := image.NewRGBA(photo.Rect)
		h.Blend(got, photo, a)
		ct.Draw(got, color.White)
		if err := compareImages(got, want, 0); err != nil {
			t.Errorf("opacity %g: %v", a, err)
		}
	}
	if NewContour(h.Values(), 0.5, 0).Len() != 0 || NewContour(NewMap(1, 1), 0, 1).Len() != 0 {
		t.Error("zero width or a 1x1 map gave a contour")
	}
}

// BenchmarkReblend5TilesWithContours is a slider move when tiles show a
// cached contour: re-blend, then draw the kept line.
func BenchmarkReblend5TilesWithContours(b *testing.B) {
	heats, photo, dsts := benchHeats(5, image.Pt(400, 300))
	cts := make([]*Contour, len(heats))
	for i, h := range heats {
		cts[i] = NewContour(h.Values(), 0.5, 1.5)
	}
	b.ReportAllocs()
	a := 0.0
	for b.Loop() {
		a += 0.01
		for i, h := range heats {
			h.Blend(dsts[i], photo, math.Mod(a, 1))
			cts[i].Draw(dsts[i], color.White)
		}
	}
}

// Used by the tests only.

// Len returns the number of pixels the line touches.
func (ct *Contour) Len() int { return len(ct.pix) }
