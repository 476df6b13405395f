package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"camscope/app/explain"
	"camscope/app/photo"
	"camscope/app/session"
	"camscope/app/session/sessiontest"
)

// experimentBench opens cat.png in a 1024x768 window with the model load
// gives (the stand-in's tiles in the grid) and the large view of the
// first tile.
func experimentBench(b *testing.B, load func() (*explain.Model, error)) *harness {
	f := session.DefaultFuncs()
	f.Explain = sessiontest.FixedExplain
	h := newHarness(b, Options{Funcs: f})
	h.Window.Resize(fyne.NewSize(1024, 768))
	m, err := load()
	if err != nil {
		b.Fatal(err)
	}
	p, err := photo.Load(catPhoto)
	if err != nil {
		b.Fatal(err)
	}
	h.s.Submit(session.Job{Photo: p, Models: []*explain.Model{m}})
	if o := h.wait(b); o.Err != nil {
		b.Fatal(o.Err)
	}
	h.OpenDetail(0)
	b.Cleanup(h.closeDetail)
	return h
}

// BenchmarkOcclusionDrag is the occlusion experiment from a drag of the
// square to the window showing its outcome (the probabilities and the map
// of the photo with the square; the desktop driver then uploads one
// texture): the built-in MobileNetV2 (the app's method, CAM, and
// Grad-CAM) and ResNet-18 (Grad-CAM). It reports the median.
func BenchmarkOcclusionDrag(b *testing.B) {
	resnet := func() (*explain.Model, error) {
		return session.DefaultFuncs().LoadModel(b.Context(), shared+"reference/resnet18.onnx")
	}
	for _, bc := range []struct {
		name   string
		load   func() (*explain.Model, error)
		method explain.Method
	}{
		{"MobileNetV2/CAM", session.PhotoModel, explain.CAM},
		{"MobileNetV2/GradCAM", session.PhotoModel, explain.GradCAM},
		{"ResNet18/GradCAM", resnet, explain.GradCAM},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := experimentBench(b, bc.load)
			if bc.method != explain.CAM {
				h.s.SetMethod(bc.method)
				h.wait(b)
				h.OpenDetail(0)
			}
			test.Tap(h.detail.occlude)
			v := h.occlusion
			h.runUntil(b, "first outcome", func() bool { return v.maps.Image != h.s.Scene().Tiles()[0].Image })
			pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(v.photo)
			size := v.photo.Size()
			var d []time.Duration
			for i := 0; b.Loop(); i++ {
				shown := v.maps.Image
				at := pos.Add(fyne.NewPos(size.Width*float32(1+i%7)/8, size.Height*float32(1+i%5)/6))
				t0 := time.Now()
				test.Drag(h.Window.Canvas(), at, 1, 0)
				h.runUntil(b, "outcome", func() bool { return v.maps.Image != shown })
				d = append(d, time.Since(t0))
			}
			median(b, d)
		})
	}
}

// BenchmarkScrubberStep is one step of the layer scrubber with the
// built-in MobileNetV2 once the maps are computed, to a layer not shown
// before (its picture drawn): the slider moved and the picture set.
func BenchmarkScrubberStep(b *testing.B) {
	h := experimentBench(b, session.PhotoModel)
	var v *scrubberView
	open := func() {
		test.Tap(h.detail.layers)
		v = h.scrubber
		h.runUntil(b, "maps", func() bool { return v.ready })
	}
	open()
	var d []time.Duration
	step := 0
	for b.Loop() {
		if step == len(v.sc.Layers)-1 {
			b.StopTimer()
			h.OpenDetail(0)
			open()
			step = 0
			b.StartTimer()
		}
		t0 := time.Now()
		v.slider.SetValue(float64(step + 1))
		d = append(d, time.Since(t0))
		step++
	}
	median(b, d)
}
