package ui

import (
	"context"
	"image"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"camscope/app/explain"
	"camscope/app/session"
	"camscope/app/session/sessiontest"
)

// longLabel is longer than a 1024-pixel window is wide.
var longLabel = strings.Repeat("very long class label that goes on ", 8)

// TestLargeViewKeepsWindowSize opens the large view of a tile with a label
// wider than the window: the window's content must still fit in it (the
// desktop driver grows a window to its content's minimum size and never
// shrinks it back), before, during and after the large view.
func TestLargeViewKeepsWindowSize(t *testing.T) {
	f := session.DefaultFuncs()
	f.Explain = func(ctx context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
		res, err := sessiontest.FixedExplain(ctx, m, img, req)
		if err == nil {
			res.Classes[0].Class.Label = longLabel
		}
		return res, err
	}
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f})
	size := fyne.NewSize(1024, 768)
	h.Window.Resize(size)
	h.Start()
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	fits := func(when string) {
		t.Helper()
		// What the desktop driver does when the content changes.
		h.Window.SetContent(h.Window.Content())
		if got := h.Window.Canvas().Size(); got != size {
			t.Errorf("%s: window %v, want %v (content's minimum %v)", when, got, size, h.Window.Content().MinSize())
		}
	}
	fits("grid")
	h.OpenDetail(0)
	if h.detail == nil {
		t.Fatal("no large view")
	}
	if !strings.Contains(h.detail.title.Text, longLabel) {
		t.Errorf("large view's title %q lacks the full label", h.detail.title.Text)
	}
	fits("large view")
	h.Window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.detail != nil {
		t.Fatal("Escape did not close the large view")
	}
	fits("after Escape")
}
