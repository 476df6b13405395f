package ui

import (
	"math"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"camscope/app/session"
	"camscope/app/session/sessiontest"
)

// runUntil runs the UI goroutine's work until cond holds.
func (h *harness) runUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for !cond() {
		select {
		case f := <-h.queue:
			f()
		case <-timeout:
			t.Fatalf("%s: not within a minute", what)
		}
	}
}

// experimentHarness opens cat.png with MobileNet V2 (the stand-in's
// classes and maps in the grid, the real model in the experiments) and
// the large view of the first tile.
func experimentHarness(t *testing.T) *harness {
	f := session.DefaultFuncs()
	f.Explain = sessiontest.FixedExplain
	f.LayerMaps = sessiontest.FixedLayerMaps
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f})
	h.Window.Resize(fyne.NewSize(1024, 768))
	h.Start()
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	h.status.SetText("")
	h.OpenDetail(0)
	t.Cleanup(h.closeDetail)
	return h
}

// TestOcclusionDrag drags the grey square over the photo: the real model
// runs off the UI goroutine and the probabilities, the map and the status
// follow the square; the slider resizes it; Escape stops the experiment.
func TestOcclusionDrag(t *testing.T) {
	h := experimentHarness(t)
	test.Tap(h.detail.occlude)
	v := h.occlusion
	if v == nil {
		t.Fatal("the Occlusion button opened nothing")
	}
	before := v.classes.Text
	if !strings.Contains(before, "62.0%") {
		t.Errorf("before the first outcome the classes are %q, want the tile's", before)
	}
	h.runUntil(t, "first outcome", func() bool { return strings.Contains(v.status.Text, "with it") })
	first := v.maps.Image
	x0, y0, side := v.photo.Square()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(v.photo)
	size := v.photo.Size()
	test.Drag(h.Window.Canvas(), pos.Add(fyne.NewPos(size.Width/4, size.Height/2)), 5, 0)
	x1, y1, _ := v.photo.Square()
	if !(x1 < x0-20) || math.Abs(y1-y0) > 10 {
		t.Errorf("the square moved from (%.0f,%.0f) to (%.0f,%.0f), want left", x0, y0, x1, y1)
	}
	h.runUntil(t, "outcome of the drag", func() bool { return v.maps.Image != first })
	if v.classes.Text == before || !strings.Contains(v.classes.Text, "1. ") {
		t.Errorf("classes with the square %q", v.classes.Text)
	}
	test.Drag(h.Window.Canvas(), fyne.CurrentApp().Driver().AbsolutePositionForObject(v.side).Add(fyne.NewPos(v.side.Size().Width/2, v.side.Size().Height/2)), 40, 0)
	if _, _, s := v.photo.Square(); !(s > side) || !strings.Contains(v.sideVal.Text, "%") {
		t.Errorf("the slider left the square at %.1f pixels (was %.1f), %q", s, side, v.sideVal.Text)
	}
	fitsWindow(t, h, "occlusion")
	h.Window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.occlusion != nil || h.detail != nil {
		t.Error("Escape did not leave the experiment")
	}
	h.drain()
}

// TestScrubberSlide slides over the layers once the maps are computed:
// each step shows that layer's map and name; the back button returns to
// the large view.
func TestScrubberSlide(t *testing.T) {
	h := experimentHarness(t)
	test.Tap(h.detail.layers)
	v := h.scrubber
	if v == nil {
		t.Fatal("the Layers button opened nothing")
	}
	if !v.slider.Disabled() || !strings.Contains(v.status.Text, "Computing") {
		t.Errorf("before the maps: slider enabled %v, status %q", !v.slider.Disabled(), v.status.Text)
	}
	h.runUntil(t, "maps", func() bool { return v.ready })
	n := len(v.sc.Layers)
	if v.index() != n-1 || !strings.Contains(v.layer.Text, "(default)") {
		t.Errorf("starts at layer %d of %d: %q", v.index()+1, n, v.layer.Text)
	}
	last := v.image.Image
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(v.slider)
	test.Drag(h.Window.Canvas(), pos.Add(fyne.NewPos(v.slider.Size().Width/2, v.slider.Size().Height/2)), -30, 0)
	if v.index() == n-1 || v.image.Image == last || !strings.Contains(v.layer.Text, "Layer ") {
		t.Errorf("after sliding: layer %d of %d, %q", v.index()+1, n, v.layer.Text)
	}
	fitsWindow(t, h, "layer scrubber")
}

// fitsWindow checks that the window's content still fits the window, as
// TestLargeViewKeepsWindowSize does.
func fitsWindow(t *testing.T, h *harness, when string) {
	t.Helper()
	h.Window.SetContent(h.Window.Content())
	if got, want := h.Window.Canvas().Size(), fyne.NewSize(1024, 768); got != want {
		t.Errorf("%s: window %v, want %v (content's minimum %v)", when, got, want, h.Window.Content().MinSize())
	}
}

// TestGoldenOcclusion is the occlusion experiment at 1024x768 as it opens:
// the square in the middle of the photo, the tile's map and classes until
// the first outcome.
func TestGoldenOcclusion(t *testing.T) {
	h := experimentHarness(t)
	test.Tap(h.detail.occlude)
	test.AssertImageMatches(t, "occlusion_1024x768.png", h.Window.Canvas().Capture())
}

// TestGoldenScrubber is the layer scrubber at 1024x768 on the stand-in's
// maps, moved to a middle layer.
func TestGoldenScrubber(t *testing.T) {
	h := experimentHarness(t)
	test.Tap(h.detail.layers)
	v := h.scrubber
	h.runUntil(t, "maps", func() bool { return v.ready })
	v.slider.SetValue(float64(len(v.sc.Layers) / 2))
	v.status.SetText("The maps of every layer, from one pass.") // without the timing
	test.AssertImageMatches(t, "scrubber_1024x768.png", h.Window.Canvas().Capture())
}
