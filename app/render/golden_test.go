package render

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

// goldenTolerance is the largest per-channel difference accepted, so that
// small changes in font rasterisation or rounding do not fail the tests.
const goldenTolerance = 2

// checkGolden compares img with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, img image.Image) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := SavePNG(path, img); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if err := compareImages(img, want, goldenTolerance); err != nil {
		t.Errorf("%s: %v (if the change is intended, run go test -update and look at the image)", path, err)
	}
}

// compareImages reports the first pixel whose channels differ by more than tol.
func compareImages(got, want image.Image, tol int) error {
	gb, wb := got.Bounds(), want.Bounds()
	if gb.Size() != wb.Size() {
		return fmt.Errorf("size %v, want %v", gb.Size(), wb.Size())
	}
	for y := 0; y < gb.Dy(); y++ {
		for x := 0; x < gb.Dx(); x++ {
			g := color.NRGBAModel.Convert(got.At(gb.Min.X+x, gb.Min.Y+y)).(color.NRGBA)
			w := color.NRGBAModel.Convert(want.At(wb.Min.X+x, wb.Min.Y+y)).(color.NRGBA)
			if absDiff(g.R, w.R) > tol || absDiff(g.G, w.G) > tol || absDiff(g.B, w.B) > tol || absDiff(g.A, w.A) > tol {
				return fmt.Errorf("pixel (%d,%d) = %v, want %v", x, y, g, w)
			}
		}
	}
	return nil
}

// testPhoto draws a small deterministic "photo": a sky gradient, a sun and a
// hill, so overlays show what the heat covers.
func testPhoto(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fy := float64(y) / float64(h)
			c := color.RGBA{uint8(90 + 100*fy), uint8(150 + 60*fy), 235, 255}
			if dx, dy := float64(x)-0.68*float64(w), float64(y)-0.32*float64(h); dx*dx+dy*dy < float64(h*h)/64 {
				c = color.RGBA{250, 214, 80, 255}
			}
			if fy > 0.62+0.12*math.Sin(float64(x)/float64(w)*5) {
				c = color.RGBA{uint8(60 + 40*fy), 130, 60, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// blobMap returns an n x n map with a Gaussian bump centred at cell (ci, cj)
// plus a weaker one, already in [0, 1].
func blobMap(n int, ci, cj float64) Map {
	m := NewMap(n, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			d1 := (float64(i)-ci)*(float64(i)-ci) + (float64(j)-cj)*(float64(j)-cj)
			d2 := (float64(i)-4.5)*(float64(i)-4.5) + (float64(j)-1)*(float64(j)-1)
			m.Data[i*n+j] = float32(math.Exp(-d1/3) + 0.4*math.Exp(-d2/1.5))
		}
	}
	return Normalize(m, false)
}
