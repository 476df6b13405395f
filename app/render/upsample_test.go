package render

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// upsampleRef is the obvious per-pixel bilinear resampling, in float64, that
// Upsample must match: pixel centre -> map coordinate, clamp, four taps.
func upsampleRef(m Map, cover Rect, width, height int) Map {
	out := NewMap(width, height)
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			cx, cy := float64(x)+0.5, float64(y)+0.5
			if cx < cover.X || cx >= cover.X+cover.W || cy < cover.Y || cy >= cover.Y+cover.H {
				continue
			}
			// Cell j's centre is at cover.X + (j+0.5)*cover.W/m.W; invert.
			u := (cx-cover.X)/cover.W*float64(m.W) - 0.5
			v := (cy-cover.Y)/cover.H*float64(m.H) - 0.5
			u = math.Max(0, math.Min(u, float64(m.W-1)))
			v = math.Max(0, math.Min(v, float64(m.H-1)))
			j0, i0 := int(math.Floor(u)), int(math.Floor(v))
			j1, i1 := min(j0+1, m.W-1), min(i0+1, m.H-1)
			fu, fv := u-float64(j0), v-float64(i0)
			at := func(i, j int) float64 { return float64(m.At(i, j)) }
			top := at(i0, j0)*(1-fu) + at(i0, j1)*fu
			bot := at(i1, j0)*(1-fu) + at(i1, j1)*fu
			out.Data[y*width+x] = float32(top*(1-fv) + bot*fv)
		}
	}
	return out
}

func TestUpsampleMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := map[string]struct {
		mw, mh, w, h int
		cover        Rect
	}{
		"full 7x7 to 224":      {7, 7, 224, 224, FullRect(224, 224)},
		"full 7x7 to 400x300":  {7, 7, 400, 300, FullRect(400, 300)},
		"center crop":          {7, 7, 400, 300, Rect{50, 0, 300, 300}},
		"fractional crop":      {14, 14, 333, 251, Rect{40.7, 3.25, 251.5, 244.9}},
		"partly off the photo": {5, 3, 64, 48, Rect{-10, 20, 50, 40}},
		"one cell":             {1, 1, 10, 10, Rect{2, 2, 5, 5}},
		"upscale by one":       {8, 6, 8, 6, FullRect(8, 6)},
		"downscale":            {40, 30, 20, 15, FullRect(20, 15)},
		// Over parallelPixels: the rows are split over the cores.
		"large, center crop": {7, 7, 900, 700, Rect{100, 0, 700, 700}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := NewMap(tc.mw, tc.mh)
			for i := range m.Data {
				m.Data[i] = rng.Float32()
			}
			got, in := Upsample(m, tc.cover, tc.w, tc.h)
			want := upsampleRef(m, tc.cover, tc.w, tc.h)
			for i := range want.Data {
				if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > 1e-5 {
					t.Fatalf("pixel (%d,%d) = %g, want %g", i%tc.w, i/tc.w, got.Data[i], want.Data[i])
				}
			}
			for y := 0; y < tc.h; y++ {
				for x := 0; x < tc.w; x++ {
					cx, cy := float64(x)+0.5, float64(y)+0.5
					inCover := cx >= tc.cover.X && cx < tc.cover.X+tc.cover.W && cy >= tc.cover.Y && cy < tc.cover.Y+tc.cover.H
					if inCover != image.Pt(x, y).In(in) {
						t.Fatalf("pixel (%d,%d): covered %v, but Upsample's rectangle %v says %v", x, y, inCover, in, !inCover)
					}
				}
			}
		})
	}
}

// A single hot cell must peak exactly at that cell's centre in the photo,
// symmetrically, and fall to 0 one cell width away.
func TestUpsampleHotCell(t *testing.T) {
	const n, size = 7, 224 // 32 pixels per cell
	m := NewMap(n, n)
	m.Data[2*n+5] = 1 // row 2, column 5
	got, _ := Upsample(m, FullRect(size, size), size, size)
	// Cell (2,5) is centred at x = (5+0.5)*32 = 176, y = (2+0.5)*32 = 80:
	// between pixels 175 and 176 (centres 175.5, 176.5), and 79 and 80.
	peak := got.Data[79*size+175]
	for _, p := range []image.Point{{176, 79}, {175, 80}, {176, 80}} {
		if v := got.Data[p.Y*size+p.X]; v != peak {
			t.Errorf("pixel %v = %g, want %g (symmetric about the cell centre)", p, v, peak)
		}
	}
	if w := 1 - 0.5/32; math.Abs(float64(peak)-w*w) > 1e-6 {
		t.Errorf("peak = %g, want (1-0.5/32)^2 = %g", peak, w*w)
	}
	for i, v := range got.Data {
		x, y := i%size, i/size
		if v > peak {
			t.Fatalf("pixel (%d,%d) = %g exceeds the peak", x, y, v)
		}
		// One cell width (32 px) from the centre, the hot cell's weight is 0.
		far := math.Abs(float64(x)+0.5-176) >= 32 || math.Abs(float64(y)+0.5-80) >= 32
		if far && v != 0 {
			t.Fatalf("pixel (%d,%d) = %g, want 0 beyond one cell of the hot cell", x, y, v)
		}
	}
}

func TestUpsampleCenterCropLeavesBordersCold(t *testing.T) {
	m := NewMap(2, 2)
	for i := range m.Data {
		m.Data[i] = 1
	}
	// A 400x300 photo resized to 300 high and center-cropped to 300x300.
	got, in := Upsample(m, Rect{50, 0, 300, 300}, 400, 300)
	if want := image.Rect(50, 0, 350, 300); in != want {
		t.Fatalf("covered %v, want %v", in, want)
	}
	for i, v := range got.Data {
		x := i % 400
		if want := float32(0); x >= 50 && x < 350 {
			want = 1
			if v != want {
				t.Fatalf("pixel (%d,%d) = %g, want %g", x, i/400, v, want)
			}
		} else if v != want {
			t.Fatalf("pixel (%d,%d) = %g, want %g", x, i/400, v, want)
		}
	}
}

func BenchmarkUpsample7x7To400x300(b *testing.B) {
	m := NewMap(7, 7)
	for i := range m.Data {
		m.Data[i] = float32(i) / 49
	}
	b.ReportAllocs()
	for b.Loop() {
		Upsample(m, FullRect(400, 300), 400, 300)
	}
}

func TestRectPixels(t *testing.T) {
	inf := math.Inf(1)
	tests := map[string]struct {
		r    Rect
		want image.Rectangle
	}{
		"full":             {FullRect(10, 8), image.Rect(0, 0, 10, 8)},
		"centre on edge":   {Rect{1.5, 0.5, 2, 1}, image.Rect(1, 0, 3, 1)},
		"just past centre": {Rect{1.6, 0, 2, 8}, image.Rect(2, 0, 4, 8)},
		"clipped":          {Rect{-4, -4, 100, 100}, image.Rect(0, 0, 10, 8)},
		"no area":          {Rect{1, 1, 0, 3}, image.Rectangle{}},
		"infinite":         {Rect{0, 0, inf, 3}, image.Rectangle{}},
		"nan":              {Rect{math.NaN(), 0, 3, 3}, image.Rectangle{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.r.Pixels(10, 8); got != tc.want {
				t.Errorf("Pixels = %v, want %v", got, tc.want)
			}
		})
	}
}
