package ui

import (
	"context"
	"fmt"
	"image"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/session"
	"camscope/app/session/sessiontest"
	"camscope/ui/widgets"
)

// fourModels are the models of the compare goldens.
var fourModels = []string{mobileV2, mobileV1, shared + "models/mobilenet_v1_0.5_160.onnx", shared + "models/mobilenet_v1_0.75_192.onnx"}

// compareHarness compares the four models on cat.png with the stand-in
// explanation and long labels, in a window of size.
func compareHarness(t *testing.T, size fyne.Size) *harness {
	t.Helper()
	f := session.DefaultFuncs()
	f.Explain = longLabels
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: fourModels, Funcs: f})
	h.Window.Resize(size)
	h.Start()
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	if n := len(h.s.Models()); n != 4 {
		t.Fatalf("%d models, want 4", n)
	}
	h.status.SetText("cat.png · 4 models · CAM") // without the timing
	return h
}

func TestGoldenCompareModels(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  fyne.Size
		photo bool
	}{
		{"compare_models_1024x768.png", fyne.NewSize(1024, 768), false},
		{"compare_models_photo_1024x768.png", fyne.NewSize(1024, 768), true},
		{"compare_models_1400x900.png", fyne.NewSize(1400, 900), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := compareHarness(t, tc.size)
			if tc.photo {
				test.Tap(h.c.photoCol)
			}
			test.AssertImageMatches(t, tc.name, h.Window.Canvas().Capture())
		})
	}
}

// longLabels stands in for a model whose labels are long: each class is
// "label k of a long class name".
func longLabels(ctx context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
	res, err := sessiontest.FixedExplain(ctx, m, img, req)
	if err != nil {
		return nil, err
	}
	for i := range res.Classes {
		res.Classes[i].Class.Label = fmt.Sprintf("label %d of a long class name", res.Classes[i].Class.Index)
	}
	return res, nil
}

// shownText is the text o draws as laid out (its visible widgets' rows
// of text, after wrapping and ellipsis), joined by spaces.
func shownText(o fyne.CanvasObject) string {
	if !o.Visible() {
		return ""
	}
	var parts []string
	switch v := o.(type) {
	case *canvas.Text:
		parts = append(parts, v.Text)
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			parts = append(parts, shownText(c))
		}
	case *fyne.Container:
		for _, c := range v.Objects {
			parts = append(parts, shownText(c))
		}
	}
	return strings.Join(slices.DeleteFunc(parts, func(p string) bool { return p == "" }), " ")
}

// captionsReadable checks that every tile's caption shows its rank and
// 12 characters of its label, on one line or two.
func captionsReadable(t *testing.T, h *harness, when string) {
	t.Helper()
	for _, tile := range h.tiles {
		r := []rune(tile.Title())
		if want, got := string(r[:min(len(r), widgets.MinCaption)]), shownText(tile); !strings.HasPrefix(got, want) {
			t.Errorf("%s: caption %q shows %q, want it to start %q", when, tile.Title(), got, want)
		}
	}
}

// TestCompareCaptionsReadable: with four models at 1024x768 every caption
// shows its rank and 12 characters of its label, with and without the
// photo column.
func TestCompareCaptionsReadable(t *testing.T) {
	h := compareHarness(t, fyne.NewSize(1024, 768))
	if len(h.tiles) != 20 {
		t.Fatalf("%d tiles, want 20", len(h.tiles))
	}
	captionsReadable(t, h, "tiles only")
	h.SetPhotoColumn(true)
	captionsReadable(t, h, "with the photo column")
}

// TestCompareMethodsCaptionsPresentation: in presentation mode at
// 1280x800 the five rows of the compare-methods view leave the tiles
// narrow; their cells take the width the pictures leave and the captions
// wrap onto two lines, so each still shows its rank and 12 characters of
// its long label ("1. label 1 of a…" was "1. lab…").
func TestCompareMethodsCaptionsPresentation(t *testing.T) {
	h := builtinHarness(t, longLabels)
	h.Window.Resize(fyne.NewSize(1280, 800))
	h.SetPresentation(true)
	h.SetCompareMethods(h.s.DefaultCompareMethods())
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	if len(h.tiles) < 20 {
		t.Fatalf("%d tiles, want five rows", len(h.tiles))
	}
	captionsReadable(t, h, "presentation")
	h.runUntil(t, "the rows' scores", func() bool { return measuredRows(h) == 5 })
	h.status.SetText("sample · shapes (built-in) · 5 methods")
	test.AssertImageMatches(t, "compare_methods_present_1280x800.png", h.Window.Canvas().Capture())
}

// TestCompareScaleChoices: comparing models offers per tile, per model and
// one raw scale, and says what the chosen one means.
func TestCompareScaleChoices(t *testing.T) {
	h := compareHarness(t, fyne.NewSize(1024, 768))
	if got := strings.Join(h.c.norm.Options, ", "); got != "Per tile, Per model, One raw scale" {
		t.Fatalf("scale options %q", got)
	}
	runs := h.runs.Load()
	h.c.norm.SetSelected("One raw scale")
	if h.s.View().Scale != display.OneScale || !strings.Contains(h.c.normHelp.Text, "not comparable") {
		t.Errorf("scale %v, note %q", h.s.View().Scale, h.c.normHelp.Text)
	}
	h.c.norm.SetSelected("Per model")
	if h.s.View().Scale != display.PerResult || !strings.Contains(h.c.normHelp.Text, "per row") {
		t.Errorf("scale %v, note %q", h.s.View().Scale, h.c.normHelp.Text)
	}
	if h.runs.Load() != runs {
		t.Error("a change of scale ran the models")
	}
}

// TestCompareSameClassesNote: the same classes between the 1001-class
// MobileNets and a model of another class list say how they were matched.
func TestCompareSameClassesNote(t *testing.T) {
	h := compareHarness(t, fyne.NewSize(1024, 768))
	h.SetSameClasses(true)
	h.wait(t)
	if h.c.classNote.Visible() {
		t.Errorf("models of one class list: note %q", h.c.classNote.Text)
	}
}
