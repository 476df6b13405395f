package display

import (
	"image"
	"math"
	"testing"

	"camscope/app/explain"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
)

// TestMapAlignedUnderCenterCrop puts one hot cell in a 7x7 map of a
// center-cropped 224 input on a 640x480 photo and checks that the heat on
// the photo peaks where the geometry says that cell's centre lies, and that
// nothing is drawn outside the crop.
func TestMapAlignedUnderCenterCrop(t *testing.T) {
	geo, err := preprocess.Plan(640, 480, preprocess.Torchvision(224))
	if err != nil {
		t.Fatal(err)
	}
	const n = 7
	for _, cell := range []image.Point{{1, 1}, {3, 3}, {5, 2}} { // interior cells: at the edges the clamped map has a plateau, not a peak
		m := cam.Map{W: n, H: n, Data: make([]float32, n*n)}
		m.Data[cell.Y*n+cell.X] = 1
		r := &explain.Result{Geometry: geo, Classes: []explain.Explained{{Map: m}}}
		s := newScene(image.NewRGBA(image.Rect(0, 0, 640, 480)), 1, []*explain.Result{r}, View{Colormap: DefaultView().Colormap, ReLU: true})
		h := s.Rows[0][0].Heat
		vals := h.Values()
		best := 0
		for i, v := range vals.Data {
			if v > vals.Data[best] {
				best = i
			}
		}
		gx, gy := geo.GridToPhoto(float64(cell.X)+0.5, float64(cell.Y)+0.5, n, n)
		px, py := float64(best%vals.W)+0.5, float64(best/vals.W)+0.5
		if math.Abs(px-gx) > 1 || math.Abs(py-gy) > 1 {
			t.Errorf("cell %v: heat peaks at pixel centre (%.1f, %.1f), geometry puts the cell at (%.1f, %.1f)", cell, px, py, gx, gy)
		}
		crop := geo.Crop
		for y := 0; y < vals.H; y++ {
			for x := 0; x < vals.W; x++ {
				inside := float64(x)+0.5 >= crop.X0 && float64(x)+0.5 <= crop.X1 && float64(y)+0.5 >= crop.Y0 && float64(y)+0.5 <= crop.Y1
				if !inside && vals.Data[y*vals.W+x] != 0 {
					t.Fatalf("heat at (%d,%d), outside the crop %v", x, y, crop)
				}
			}
		}
	}
	if geo.Crop.X0 <= 0 || geo.Crop.X1 >= 640 {
		t.Fatalf("the test needs a crop narrower than the photo, got %v", geo.Crop)
	}
}
