package display

import (
	"image"
	"testing"

	"camscope/app/explain"
	"camscope/app/render"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
)

// result is a fake explanation of a w x h photo whose maps (2x2) cover the
// whole photo.
func result(w, h int, maps ...[]float32) *explain.Result {
	r := &explain.Result{Photo: image.NewRGBA(image.Rect(0, 0, w, h)),
		Geometry: preprocess.Geometry{PhotoWidth: w, PhotoHeight: h, Width: w, Height: h, Crop: preprocess.Rect{X1: float64(w), Y1: float64(h)}}}
	for i, m := range maps {
		r.Classes = append(r.Classes, explain.Explained{Rank: i + 1, Map: cam.Map{W: 2, H: 2, Data: m}})
	}
	return r
}

func TestSceneScalesAndShrinks(t *testing.T) {
	r := result(1000, 500, []float32{0, 1, 2, 3}, []float32{0, 0, 0, 30})
	v := DefaultView()
	s := NewScene(r.Photo, []*explain.Result{r}, v, 400)
	if s.Photo.Rect.Dx() != 400 || s.Photo.Rect.Dy() != 200 || s.Scale != 0.4 {
		t.Fatalf("display photo %v, scale %v", s.Photo.Rect, s.Scale)
	}
	tiles := s.Tiles()
	if len(tiles) != 2 || tiles[0].Heat.Size() != s.Photo.Rect.Size() {
		t.Fatalf("%d tiles", len(tiles))
	}
	if got := tiles[0].Scaled.Data[3]; got != 1 {
		t.Errorf("per-tile maximum scales to %v, want 1", got)
	}
	v.Scale = PerResult
	s = NewScene(r.Photo, []*explain.Result{r}, v, 400)
	if got := s.Tiles()[0].Scaled.Data[3]; got < 0.0999 || got > 0.1001 {
		t.Errorf("shared scale: 3 of 30 scales to %v, want 0.1", got)
	}
}

// TestSceneScalePerResult: per result, each model's maps share a scale
// of their own; one scale puts the raw values of every model on one.
func TestSceneScalePerResult(t *testing.T) {
	a := result(100, 100, []float32{0, 1, 2, 3}, []float32{0, 0, 0, 30})
	b := result(100, 100, []float32{0, 0, 0, 0.3})
	b.Photo = a.Photo
	v := DefaultView()
	v.Scale = PerResult
	s := NewScene(a.Photo, []*explain.Result{a, b}, v, 100)
	if got := s.Rows[1][0].Scaled.Data[3]; got != 1 {
		t.Errorf("per result: the second model's maximum scales to %v, want 1", got)
	}
	if got := s.Rows[0][0].Scaled.Data[3]; got < 0.0999 || got > 0.1001 {
		t.Errorf("per result: 3 of 30 scales to %v, want 0.1", got)
	}
	v.Scale = OneScale
	s = NewScene(a.Photo, []*explain.Result{a, b}, v, 100)
	if got := s.Rows[1][0].Scaled.Data[3]; got < 0.00999 || got > 0.01001 {
		t.Errorf("one scale: the second model's 0.3 of 30 scales to %v, want 0.01", got)
	}
}

func TestRawAt(t *testing.T) {
	r := result(100, 100, []float32{1, 2, 3, 4})
	s := NewScene(r.Photo, []*explain.Result{r}, DefaultView(), 50)
	tile := s.Tiles()[0]
	tests := map[string]struct {
		x, y float64
		want float32
		cell image.Point
		ok   bool
	}{
		"top left":     {1, 1, 1, image.Pt(0, 0), true},
		"top right":    {40, 5, 2, image.Pt(1, 0), true},
		"bottom right": {49.9, 49.9, 4, image.Pt(1, 1), true},
		"outside":      {60, 10, 0, image.Point{}, false},
	}
	for name, tc := range tests {
		v, cell, ok := tile.RawAt(tc.x, tc.y, s.Scale)
		if v != tc.want || cell != tc.cell || ok != tc.ok {
			t.Errorf("%s: %v %v %v, want %v %v %v", name, v, cell, ok, tc.want, tc.cell, tc.ok)
		}
	}
}

func TestCellRect(t *testing.T) {
	r := result(100, 60, []float32{1, 2, 3, 4})
	s := NewScene(r.Photo, []*explain.Result{r}, DefaultView(), 50)
	if got, want := s.Tiles()[0].CellRect(image.Pt(1, 1), s.Scale), image.Rect(25, 15, 50, 30); got != want {
		t.Errorf("cell rect %v, want %v", got, want)
	}
}

func TestRenderAndColormap(t *testing.T) {
	r := result(40, 40, []float32{0, 0, 0, 1})
	v := DefaultView()
	s := NewScene(r.Photo, []*explain.Result{r}, v, 100)
	dst := s.Tiles()[0].Image
	jet := append([]byte(nil), dst.Pix...)
	v.Colormap = render.Gray
	s.Show(v)
	if string(jet) == string(dst.Pix) {
		t.Error("colormap change did not re-colour")
	}
}

// TestContourDiffersFromBox: the contour is yellow edged in black, the box
// white, so that both show apart.
func TestContourDiffersFromBox(t *testing.T) {
	r := result(200, 200, []float32{0, 0, 0, 30})
	v := DefaultView()
	v.Opacity, v.Contour = 0, true
	s := NewScene(r.Photo, []*explain.Result{r}, v, 200)
	var yellow, white int
	img := s.Tiles()[0].Image
	for i := 0; i < len(img.Pix); i += 4 {
		p := img.Pix[i : i+3]
		switch {
		case p[0] == 255 && p[1] == 255 && p[2] == 255:
			white++
		case p[0] > 200 && p[1] > 180 && p[2] < 60:
			yellow++
		}
	}
	if yellow == 0 || white != 0 {
		t.Errorf("contour: %d yellow pixels, %d white", yellow, white)
	}
}
