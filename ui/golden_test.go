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

func TestGoldenLargeView(t *testing.T) {
	f := session.DefaultFuncs()
	f.Explain = sessiontest.FixedExplain
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f})
	h.Start()
	h.wait(t)
	h.status.SetText("")
	test.Tap(h.tiles[0])
	test.Tap(h.c.box)
	test.AssertImageMatches(t, "large_view.png", h.Window.Canvas().Capture())
}
