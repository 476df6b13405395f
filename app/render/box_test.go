package render

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// rectsMap returns a w x h map with value 1 on the given rectangles.
func rectsMap(w, h int, rs ...image.Rectangle) Map {
	m := NewMap(w, h)
	for _, r := range rs {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				m.Data[y*w+x] = 1
			}
		}
	}
	return m
}

func TestThresholdBox(t *testing.T) {
	tests := map[string]struct {
		m      Map
		level  float32
		want   image.Rectangle
		wantOK bool
	}{
		"largest of two": {
			rectsMap(20, 10, image.Rect(1, 1, 4, 3), image.Rect(10, 2, 18, 9)), 0.5,
			image.Rect(10, 2, 18, 9), true,
		},
		"diagonal neighbours join": {
			rectsMap(10, 10, image.Rect(1, 1, 3, 3), image.Rect(3, 3, 5, 5), image.Rect(7, 0, 10, 2)), 0.5,
			image.Rect(1, 1, 5, 5), true,
		},
		"L shape": {
			rectsMap(10, 10, image.Rect(2, 2, 3, 8), image.Rect(2, 7, 9, 8)), 1,
			image.Rect(2, 2, 9, 8), true,
		},
		"nothing above":   {rectsMap(5, 5, image.Rect(1, 1, 2, 2)), 1.5, image.Rectangle{}, false},
		"whole map":       {rectsMap(4, 3, image.Rect(0, 0, 4, 3)), 1, image.Rect(0, 0, 4, 3), true},
		"empty map":       {NewMap(0, 0), 0, image.Rectangle{}, false},
		"level 0 counts0": {NewMap(3, 2), 0, image.Rect(0, 0, 3, 2), true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := ThresholdBox(tc.m, tc.level)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("ThresholdBox = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func countColor(img *image.RGBA, c color.RGBA) int {
	n := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

func TestDrawRect(t *testing.T) {
	red := color.RGBA{255, 0, 0, 255}
	tests := map[string]struct {
		r     image.Rectangle
		width int
		want  int
	}{
		"width 1":        {image.Rect(2, 2, 12, 8), 1, 2*10 + 2*4},
		"width 2":        {image.Rect(2, 2, 12, 8), 2, 10*6 - 6*2},
		"fills if thick": {image.Rect(2, 2, 6, 5), 5, 4 * 3},
		"clipped":        {image.Rect(-5, -5, 5, 5), 1, 5 + 4},
		"zero width":     {image.Rect(2, 2, 12, 8), 0, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			img := image.NewRGBA(image.Rect(0, 0, 20, 20))
			DrawRect(img, tc.r, red, tc.width)
			if got := countColor(img, red); got != tc.want {
				t.Errorf("%d red pixels, want %d", got, tc.want)
			}
		})
	}
	// Translucent colours composite over the destination.
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	fill(img, img.Rect, color.RGBA{0, 0, 200, 255})
	DrawRect(img, img.Rect, color.NRGBA{255, 0, 0, 128}, 1)
	if got, want := img.RGBAAt(0, 0), (color.RGBA{128, 0, 100, 255}); got != want {
		t.Errorf("translucent outline gives %v, want %v", got, want)
	}
}

func TestContourAndBoxGolden(t *testing.T) {
	photo := testPhoto(160, 120)
	h := NewHeat(blobMap(7, 2, 4), Rect{20, 0, 120, 120}, photo.Rect.Size(), Jet)
	out := image.NewRGBA(photo.Rect)
	h.Blend(out, photo, 0.45)
	DrawContour(out, h.Values(), 0.5, color.White, 1.5)
	if box, ok := ThresholdBox(h.Values(), 0.2); ok {
		DrawRect(out, box, color.RGBA{0, 230, 90, 255}, 2)
	} else {
		t.Fatal("no box at 20%")
	}
	checkGolden(t, "overlay_contour_box.png", out)
}

func BenchmarkThresholdBox400x300(b *testing.B) {
	h := NewHeat(blobMap(7, 2, 4), FullRect(400, 300), image.Pt(400, 300), Jet)
	b.ReportAllocs()
	for b.Loop() {
		ThresholdBox(h.Values(), 0.2)
	}
}

func BenchmarkDrawContour400x300(b *testing.B) {
	h := NewHeat(blobMap(7, 2, 4), FullRect(400, 300), image.Pt(400, 300), Jet)
	dst := image.NewRGBA(image.Rect(0, 0, 400, 300))
	b.ReportAllocs()
	for b.Loop() {
		DrawContour(dst, h.Values(), 0.5, color.White, 1.5)
	}
}

// thresholdBoxRef labels regions by repeated min-label propagation, a slow
// but independent way to find 8-connected components. A region's label is
// its first pixel in row-major order, which also breaks ties like
// ThresholdBox.
func thresholdBoxRef(m Map, level float32) (image.Rectangle, bool) {
	label := make([]int, len(m.Data))
	for i, v := range m.Data {
		label[i] = -1
		if v >= level {
			label[i] = i
		}
	}
	for changed := true; changed; {
		changed = false
		for i := range label {
			if label[i] < 0 {
				continue
			}
			x, y := i%m.W, i/m.W
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= m.W || ny >= m.H {
						continue
					}
					if l := label[ny*m.W+nx]; l >= 0 && l < label[i] {
						label[i], changed = l, true
					}
				}
			}
		}
	}
	size := map[int]int{}
	boxes := map[int]image.Rectangle{}
	for i, l := range label {
		if l < 0 {
			continue
		}
		size[l]++
		boxes[l] = boxes[l].Union(image.Rect(i%m.W, i/m.W, i%m.W+1, i/m.W+1))
	}
	best, bestLabel := 0, -1
	for l, n := range size {
		if n > best || (n == best && l < bestLabel) {
			best, bestLabel = n, l
		}
	}
	return boxes[bestLabel], best > 0
}

func TestThresholdBoxMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		m := NewMap(1+rng.IntN(30), 1+rng.IntN(20))
		for i := range m.Data {
			m.Data[i] = rng.Float32()
		}
		level := rng.Float32()
		got, ok := ThresholdBox(m, level)
		want, wantOK := thresholdBoxRef(m, level)
		if got != want || ok != wantOK {
			t.Fatalf("trial %d (%dx%d, level %g): %v, %v; want %v, %v", trial, m.W, m.H, level, got, ok, want, wantOK)
		}
	}
}
