package session

import (
	"context"
	"slices"
	"testing"
	"time"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/photo"
	"camscope/inference/preprocess"
)

// TestScrubberMaps checks the layer scrubber on the built-in model: a map
// per layer on the layer's grid, the last one the tile's class's Grad-CAM
// map at the discovered layer (CAM gives way to Grad-CAM, and says so),
// each picture drawn once.
func TestScrubberMaps(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	img := SamplePhoto().Image
	scene, tile := occlusionTile(t, m, img, explain.CAM)
	s := New(DefaultFuncs(), display.DefaultView(), func(Outcome) {})
	sc := s.Scrubber(scene, tile)
	if sc == nil || len(sc.Layers) != len(m.LayerChoices()) || sc.Method != explain.GradCAM || sc.Note == "" {
		t.Fatalf("scrubber %+v", sc)
	}
	if sc.Start() != len(sc.Layers)-1 || sc.Image(0) != nil {
		t.Errorf("starts at layer %d of %d, or shows a map before computing", sc.Start(), len(sc.Layers))
	}
	if err := sc.Compute(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, l := range sc.Layers {
		if sc.maps[i].W != l.W || sc.maps[i].H != l.H {
			t.Errorf("layer %s: map %dx%d, want its grid %dx%d", l.Short, sc.maps[i].W, sc.maps[i].H, l.W, l.H)
		}
	}
	res, err := explain.Photo(context.Background(), m, img, explain.Request{Method: explain.GradCAM, Classes: []int{tile.Class.Index}})
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.maps[len(sc.maps)-1]; !slices.Equal(got.Data, res.Classes[0].Map.Data) {
		t.Error("the last layer's map is not the tile's class's Grad-CAM map")
	}
	first := sc.Image(0)
	if first == nil || first.Rect != scene.Photo.Rect || sc.Image(0) != first || sc.Image(len(sc.Layers)) != nil {
		t.Error("layer 0's picture is not drawn once over the display copy")
	}
	if slices.Equal(first.Pix, sc.Image(len(sc.Layers)-1).Pix) {
		t.Error("the first and last layers' pictures are the same")
	}
}

// BenchmarkScrubber times the layer scrubber with the built-in MobileNetV2
// on a real photo: computing every layer's map (one forward and one
// backward pass: ms-compute), then a step to a layer not shown yet (its
// map drawn over the display copy: ms-median/step, the median).
func BenchmarkScrubber(b *testing.B) {
	p, err := photo.Load("../../../shared/images/cat.png")
	if err != nil {
		b.Fatal(err)
	}
	m, err := ImageNetModel("", preprocess.Options{})
	if err != nil {
		b.Fatal(err)
	}
	scene, tile := occlusionTile(b, m, p.Image, explain.GradCAM)
	s := New(DefaultFuncs(), display.DefaultView(), func(Outcome) {})
	sc := s.Scrubber(scene, tile)
	start := time.Now()
	if err := sc.Compute(context.Background()); err != nil {
		b.Fatal(err)
	}
	compute := time.Since(start)
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		l := i % len(sc.Layers)
		sc.images[l] = nil
		start := time.Now()
		sc.Image(l)
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median/step")
	b.ReportMetric(float64(compute.Milliseconds()), "ms-compute")
	b.ReportMetric(float64(len(sc.Layers)), "layers")
}
