package render

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
)

func gridTiles() []Tile {
	photo := testPhoto(160, 120)
	cover := Rect{20, 0, 120, 120}
	return []Tile{
		{Overlay(photo, blobMap(7, 2, 4), cover, Jet, 0.5), "1. tabby cat 36.6%"},
		{Overlay(photo, blobMap(7, 4, 2), cover, Viridis, 0.5), "2. tiger cat 21.3%"},
		{Overlay(photo, blobMap(7, 1, 1), cover, Inferno, 0.6), "3. Egyptian cat with a very long label 9.8%"},
	}
}

func TestGridGolden(t *testing.T) {
	checkGolden(t, "grid_3_tiles.png", Grid(gridTiles(), GridOptions{Columns: 2}))
}

func TestGridLayout(t *testing.T) {
	tiles := gridTiles()
	tests := map[string]struct {
		opt        GridOptions
		wantW      int
		captionRow bool
	}{
		"two columns":  {GridOptions{Columns: 2, Padding: 10}, 2*160 + 3*10, true},
		"one row":      {GridOptions{Columns: 5, Padding: 4}, 3*160 + 4*4, true},
		"auto columns": {GridOptions{Padding: -1}, 2 * 160, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := Grid(tiles, tc.opt)
			if g.Rect.Dx() != tc.wantW {
				t.Errorf("width %d, want %d", g.Rect.Dx(), tc.wantW)
			}
		})
	}
	// Without titles, rows are exactly as high as the images.
	for i := range tiles {
		tiles[i].Title = ""
	}
	g := Grid(tiles, GridOptions{Columns: 3, Padding: 5})
	if want := image.Rect(0, 0, 3*160+4*5, 120+2*5); g.Rect != want {
		t.Errorf("bounds %v, want %v", g.Rect, want)
	}
	if got := g.RGBAAt(0, 0); got != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("background %v, want white", got)
	}
	if got, want := g.RGBAAt(5, 5), tiles[0].Image.(*image.RGBA).RGBAAt(0, 0); got != want {
		t.Errorf("first tile's corner %v, want %v", got, want)
	}
	if Grid(nil, GridOptions{}).Rect.Dx() != 0 {
		t.Error("empty grid is not empty")
	}
}

func TestSideBySide(t *testing.T) {
	photo := testPhoto(160, 120)
	over := Overlay(photo, blobMap(7, 2, 4), FullRect(160, 120), Turbo, 0.5)
	small := image.NewRGBA(image.Rect(10, 10, 50, 30))
	fill(small, small.Rect, color.RGBA{255, 0, 0, 255})
	g := SideBySide(over, small, 6, color.Black)
	if want := image.Rect(0, 0, 160+40+18, 120+12); g.Rect != want {
		t.Fatalf("bounds %v, want %v", g.Rect, want)
	}
	if got := g.RGBAAt(6+160+6, 6+50); got != (color.RGBA{255, 0, 0, 255}) {
		t.Errorf("right image not centred: %v", got)
	}
	if err := compareImages(g.SubImage(image.Rect(6, 6, 166, 126)), over, 0); err != nil {
		t.Error(err)
	}
	checkGolden(t, "side_by_side.png", SideBySide(photo, over, 6, nil))
}

// Text drawing shares one parsed font; compositions must be safe to run from
// several goroutines (the GUI renders tiles in the background).
func TestGridConcurrent(t *testing.T) {
	tiles := gridTiles()
	want := Grid(tiles, GridOptions{Columns: 2})
	done := make(chan *image.RGBA)
	for range 4 {
		go func() { done <- Grid(tiles, GridOptions{Columns: 2}) }()
	}
	for range 4 {
		if err := compareImages(<-done, want, 0); err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkGrid5Tiles400x300 is the cost of composing an export image.
func BenchmarkGrid5Tiles400x300(b *testing.B) {
	photo := testPhoto(400, 300)
	tiles := make([]Tile, 5)
	for i := range tiles {
		tiles[i] = Tile{Overlay(photo, blobMap(7, float64(i), 3), FullRect(400, 300), Jet, 0.5), "1. tabby cat 36.6%"}
	}
	b.ReportAllocs()
	for b.Loop() {
		Grid(tiles, GridOptions{Columns: 3})
	}
}

// Used by the tests only.

// SideBySide places left and right next to each other, pad pixels apart and
// around, centred vertically, on bg (nil means white): a photo next to its
// overlay.
func SideBySide(left, right image.Image, pad int, bg color.Color) *image.RGBA {
	if bg == nil {
		bg = color.White
	}
	pad = max(pad, 0)
	lb, rb := left.Bounds(), right.Bounds()
	h := max(lb.Dy(), rb.Dy())
	out := image.NewRGBA(image.Rect(0, 0, lb.Dx()+rb.Dx()+3*pad, h+2*pad))
	fill(out, out.Rect, bg)
	lp := image.Pt(pad, pad+(h-lb.Dy())/2)
	draw.Draw(out, image.Rectangle{lp, lp.Add(lb.Size())}, left, lb.Min, draw.Over)
	rp := image.Pt(2*pad+lb.Dx(), pad+(h-rb.Dy())/2)
	draw.Draw(out, image.Rectangle{rp, rp.Add(rb.Size())}, right, rb.Min, draw.Over)
	return out
}
