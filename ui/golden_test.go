package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"camscope/app/session"
	"camscope/app/session/sessiontest"
)

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
			f.Explain = sessiontest.FixedExplain
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

// TestGoldenLargeView is the large view of the first tile with its box,
// and under the pictures the map's deletion and insertion curves with
// their areas and average drop (the stand-in's scores).
func TestGoldenLargeView(t *testing.T) {
	for _, tc := range []struct {
		name string
		size fyne.Size
	}{
		{"large_view.png", fyne.NewSize(1280, 800)},
		{"large_view_1024x768.png", fyne.NewSize(1024, 768)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := session.DefaultFuncs()
			f.Explain = sessiontest.FixedExplain
			h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f})
			h.Window.Resize(tc.size)
			h.Start()
			h.wait(t)
			h.status.SetText("")
			test.Tap(h.tiles[0])
			test.Tap(h.c.box)
			h.runUntil(t, "scores", func() bool { return len(h.detail.metrics.plot.Curves) == 2 })
			test.AssertImageMatches(t, tc.name, h.Window.Canvas().Capture())
		})
	}
}
