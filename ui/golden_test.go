package ui

import (
	"context"
	"image"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"camscope/app/explain"
	"camscope/app/session"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
)

// fixedExplain stands in for the model in golden tests: the classes and
// maps are the same on every machine (real kernels may differ in the last
// bits between CPUs). Each map is a blob at its own place on a 7x7 grid.
func fixedExplain(_ context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
	b := img.Rect
	res := &explain.Result{Model: m, Request: req, Photo: img, Geometry: preprocess.Geometry{
		PhotoWidth: b.Dx(), PhotoHeight: b.Dy(), Crop: preprocess.Rect{X1: float64(b.Dx()), Y1: float64(b.Dy())}}}
	classes := []int{285, 281, 282, 287, 728}
	probs := []float64{0.62, 0.21, 0.09, 0.03, 0.01}
	for i := range min(req.TopK, len(classes)) {
		data := make([]float32, 49)
		cx, cy := float64(1+i), float64(3+(i%2))
		for y := range 7 {
			for x := range 7 {
				d := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
				data[y*7+x] = float32(10 * (1 - 0.1*float64(i)) * math.Exp(-d/4))
			}
		}
		c := cam.Class{Index: classes[i], Label: m.Explainer.Label(classes[i]), Prob: probs[i]}
		res.Classes = append(res.Classes, explain.Explained{Class: c, Rank: i + 1, Map: cam.Map{W: 7, H: 7, Data: data}})
	}
	return res, nil
}

func TestGoldenMainWindow(t *testing.T) {
	for _, tc := range []struct {
		name string
		size fyne.Size
	}{
		{"main_window_1280x800.png", fyne.NewSize(1280, 800)},
		{"main_window_1024x700.png", fyne.NewSize(1024, 700)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := session.DefaultFuncs()
			f.Explain = fixedExplain
			h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f})
			h.Window.Resize(tc.size)
			h.Start()
			if o := h.wait(t); o.Err != nil {
				t.Fatal(o.Err)
			}
			h.status.SetText("cat.png · mobilenet_v2_1.0_224 · CAM") // without the timing
			test.AssertImageMatches(t, tc.name, h.Window.Canvas().Capture())
		})
	}
}

func TestGoldenLargeView(t *testing.T) {
	f := session.DefaultFuncs()
	f.Explain = fixedExplain
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f})
	h.Start()
	h.wait(t)
	h.status.SetText("")
	test.Tap(h.tiles[0])
	test.Tap(h.c.box)
	test.AssertImageMatches(t, "large_view.png", h.Window.Canvas().Capture())
}
