package shapes

import (
	"image"
	"math"
	"testing"
)

func TestCAMBoxRegions(t *testing.T) {
	// At the map's own size the upsampling changes nothing. Two regions are
	// above 0.2 of the maximum: a 3-cell diagonal chain (8-connected) on the
	// left and a 4-cell square on the right; the square wins. The 0.1 cell
	// is below the threshold and must not join anything.
	m := []float32{
		1, 0, 0, 0, 0, 0,
		0, 0.5, 0, 0, 0.3, 0.3,
		0, 0, 0.9, 0.1, 0.3, 0.25,
		0, 0, 0, 0, 0, 0,
	}
	if got, want := CAMBox(m, 6, 4, 6, 4), image.Rect(4, 1, 6, 3); got != want {
		t.Errorf("box %v, want %v", got, want)
	}
	if got := CAMBox(make([]float32, 4), 2, 2, 8, 8); !got.Empty() {
		t.Errorf("flat zero map: box %v, want empty", got)
	}
	if got := CAMBox([]float32{-1, -2, -3, -4}, 2, 2, 8, 8); !got.Empty() {
		t.Errorf("negative map: box %v, want empty", got)
	}
}

func TestIoU(t *testing.T) {
	cases := map[string]struct {
		a, b image.Rectangle
		want float64
	}{
		"same":      {image.Rect(0, 0, 4, 4), image.Rect(0, 0, 4, 4), 1},
		"disjoint":  {image.Rect(0, 0, 2, 2), image.Rect(3, 3, 5, 5), 0},
		"touching":  {image.Rect(0, 0, 2, 2), image.Rect(2, 0, 4, 2), 0},
		"half":      {image.Rect(0, 0, 4, 2), image.Rect(0, 0, 2, 2), 0.5},
		"shifted":   {image.Rect(0, 0, 2, 2), image.Rect(1, 0, 3, 2), 1.0 / 3},
		"contained": {image.Rect(0, 0, 10, 10), image.Rect(2, 2, 7, 7), 0.25},
		"empty":     {image.Rectangle{}, image.Rectangle{}, 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := IoU(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
				t.Errorf("IoU = %v, want %v", got, c.want)
			}
			if got := IoU(c.b, c.a); math.Abs(got-c.want) > 1e-12 {
				t.Errorf("IoU reversed = %v, want %v", got, c.want)
			}
		})
	}
}

func TestCAMBox(t *testing.T) {
	cam := make([]float32, 16*16)
	for y := 4; y < 8; y++ {
		for x := 8; x < 12; x++ {
			cam[y*16+x] = 1
		}
	}
	got := CAMBox(cam, 16, 16, 64, 64)
	want := image.Rect(32, 16, 48, 32)
	if IoU(got, want) < 0.7 {
		t.Errorf("CAMBox = %v, want close to %v", got, want)
	}
}
