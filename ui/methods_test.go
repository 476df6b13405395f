package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/explain"
	"camscope/app/session"
	"camscope/app/session/sessiontest"
)

// builtinHarness is a window on the built-in shapes model (no download)
// and its sample scene, explained by f (FixedExplain when nil), showing
// its first tiles.
func builtinHarness(t *testing.T, f sessiontest.ExplainFunc) *harness {
	t.Helper()
	funcs := session.DefaultFuncs()
	funcs.Explain = sessiontest.FixedExplain
	if f != nil {
		funcs.Explain = f
	}
	h := newHarness(t, Options{Funcs: funcs})
	m, err := session.DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	h.s.Submit(session.Job{Photo: session.SamplePhoto(), Models: []*explain.Model{m}})
	h.refreshBusy()
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	return h
}

// Choosing each method in the menu explains with it: the tiles show its
// maps (the methods that agree on this head the same ones, with the note
// under the menu; every other method its own), and the status names it.
func TestMethodMenu(t *testing.T) {
	h := builtinHarness(t, nil)
	agree, _ := session.Agreement(h.s.Models(), "")
	if want := session.MethodNames(); !slices.Equal(h.c.method.Options, want[:len(want)-1]) {
		t.Fatalf("menu %q, want every method but attention rollout (a CNN's)", h.c.method.Options)
	}
	seen := map[string]explain.Method{}
	for _, name := range h.c.method.Options {
		m, _ := session.MethodNamed(name)
		runs := h.runs.Load()
		h.c.method.SetSelected(name)
		if name != session.MethodName(explain.CAM) {
			if o := h.wait(t); o.Err != nil {
				t.Fatal(o.Err)
			}
			if h.runs.Load() == runs {
				t.Fatalf("%s: the model did not run", name)
			}
		}
		if got := h.s.Results()[0].Request.Method; got != m || len(h.tiles) == 0 {
			t.Fatalf("%s: tiles of %s (%d)", name, got, len(h.tiles))
		}
		if !strings.Contains(h.status.Text, " · "+name+" · ") {
			t.Errorf("%s: status %q", name, h.status.Text)
		}
		if h.c.methodHelp.Text != session.MethodHelp(m) {
			t.Errorf("%s: help %q", name, h.c.methodHelp.Text)
		}
		if inAgree := slices.Contains(agree, m); inAgree == h.c.agreeNote.Hidden || inAgree != strings.Contains(h.c.agreeNote.Text, "same map") {
			t.Errorf("%s: agreement note shown %v (%q)", name, !h.c.agreeNote.Hidden, h.c.agreeNote.Text)
		}
		px := string(tilePixels(h, 0))
		for other, om := range seen {
			if (other == px) != (slices.Contains(agree, m) && slices.Contains(agree, om)) {
				t.Errorf("%s's first tile equal to %s's: %v", name, om, other == px)
			}
		}
		seen[px] = m
	}
}

// The layer picker lists the model's layers, the default marked; choosing
// another explains there (the grid size shown and the maps change), CAM
// leaves the menu with its reason, and the default brings it back.
func TestLayerPicker(t *testing.T) {
	h := builtinHarness(t, nil)
	opts := h.c.layer.Options
	if len(opts) != len(h.s.Layers()) || len(opts) < 3 || h.c.layer.Disabled() {
		t.Fatalf("layer options %q", opts)
	}
	if !strings.HasSuffix(h.c.layer.Selected, "(default)") || h.c.layer.Selected != opts[len(opts)-1] {
		t.Errorf("selected %q, want the last, marked default", h.c.layer.Selected)
	}
	if !strings.Contains(h.c.modelInfo.Text, "16×16 map") || h.s.Results()[0].Classes[0].Map.W != 16 {
		t.Errorf("model info %q", h.c.modelInfo.Text)
	}
	before := tilePixels(h, 0)
	first := h.s.Layers()[0]
	h.c.layer.SetSelected(opts[0])
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	if !strings.Contains(h.c.modelInfo.Text, "64×64 map") || h.s.Results()[0].Request.Layer != first.Name || h.s.Results()[0].Classes[0].Map.W != 64 {
		t.Errorf("at %s: model info %q, result at %q", opts[0], h.c.modelInfo.Text, h.s.Results()[0].Request.Layer)
	}
	if same(before, tilePixels(h, 0)) {
		t.Error("the tiles did not change with the layer")
	}
	if slices.Contains(h.c.method.Options, "CAM") || h.c.method.Selected != "Grad-CAM" ||
		h.c.methodNote.Hidden || !strings.Contains(h.c.methodNote.Text, "CAM needs the layer that feeds the pooling") {
		t.Errorf("off the default layer: menu %q (%s), note %q", h.c.method.Options, h.c.method.Selected, h.c.methodNote.Text)
	}
	if !h.c.agreeNote.Hidden {
		t.Errorf("agreement note off the default layer: %q", h.c.agreeNote.Text)
	}
	if h.c.layer.Selected != opts[0] || !strings.Contains(h.status.Text, opts[0]) {
		t.Errorf("selected %q, status %q", h.c.layer.Selected, h.status.Text)
	}
	h.c.layer.SetSelected(opts[len(opts)-1])
	h.wait(t)
	if !slices.Contains(h.c.method.Options, "CAM") || !h.c.methodNote.Hidden || !strings.Contains(h.c.modelInfo.Text, "16×16 map") {
		t.Errorf("back at the default: menu %q, note %q", h.c.method.Options, h.c.methodNote.Text)
	}
}

// Occlusion reads no layer: the picker is disabled with the reason and
// the model's facts claim no layer's map size; Grad-CAM gives the layer
// back.
func TestLayerPickerOcclusion(t *testing.T) {
	h := builtinHarness(t, nil)
	h.c.method.SetSelected("Occlusion")
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	if h.c.layer.Visible() || h.c.layerNote.Hidden || !strings.HasPrefix(h.c.layerNote.Text, "Occlusion reads no layer") {
		t.Errorf("occlusion: picker shown %v, note %q", h.c.layer.Visible(), h.c.layerNote.Text)
	}
	// The note stands in the picker's place in the sidebar's text: the
	// size and colour Fyne draws it in, not the disabled colour.
	texts := drawnTexts(h.c.layerNote)
	if len(texts) == 0 {
		t.Error("occlusion: the note draws no text")
	}
	for _, txt := range texts {
		if txt.Color != theme.Color(theme.ColorNameForeground) || txt.TextSize != theme.TextSize() {
			t.Errorf("occlusion: the note %q is drawn in %v at %v, want the foreground %v at %v", txt.Text, txt.Color, txt.TextSize, theme.Color(theme.ColorNameForeground), theme.TextSize())
		}
	}
	if got := h.c.modelInfo.Text; strings.Contains(got, "map)") || !strings.Contains(got, "input's resolution") {
		t.Errorf("occlusion: model info %q", got)
	}
	h.c.method.SetSelected("Grad-CAM")
	h.wait(t)
	if h.c.layer.Disabled() || !h.c.layer.Visible() || !h.c.layerNote.Hidden || !strings.Contains(h.c.modelInfo.Text, "16×16 map") {
		t.Errorf("Grad-CAM: picker disabled %v, shown %v, note %q, model info %q", h.c.layer.Disabled(), h.c.layer.Visible(), h.c.layerNote.Text, h.c.modelInfo.Text)
	}
}

// drawnTexts are the rows of text o draws as laid out.
func drawnTexts(o fyne.CanvasObject) []*canvas.Text {
	switch v := o.(type) {
	case *canvas.Text:
		return []*canvas.Text{v}
	case fyne.Widget:
		var out []*canvas.Text
		for _, c := range test.WidgetRenderer(v).Objects() {
			out = append(out, drawnTexts(c)...)
		}
		return out
	}
	return nil
}

// A slow method shows that it runs and can be cancelled; meanwhile the
// window answers (the opacity re-blends the tiles shown); cancelling, or
// choosing another method, leaves no result of it and the controls
// matching the tiles.
func TestCancelSlowMethod(t *testing.T) {
	started := make(chan struct{}, 4)
	h := builtinHarness(t, sessiontest.Blocking(sessiontest.FixedExplain, explain.GradCAMPlusPlus, started))
	wait := func() {
		t.Helper()
		select {
		case <-started:
		case <-time.After(time.Minute):
			t.Fatal("the slow method did not start")
		}
		h.drain()
	}
	h.c.method.SetSelected("Grad-CAM++")
	wait()
	if !h.s.Busy() || h.cancel.Hidden || !strings.HasPrefix(h.status.Text, "Explaining") {
		t.Fatalf("a slow run does not show: busy %v, status %q", h.s.Busy(), h.status.Text)
	}
	if h.c.methodHelp.Text != session.MethodHelp(explain.GradCAMPlusPlus) || !h.c.agreeNote.Hidden {
		t.Errorf("while Grad-CAM++ runs the menu's help is %q, agreement note %q", h.c.methodHelp.Text, h.c.agreeNote.Text)
	}
	before := tilePixels(h, 0)
	h.c.opacity.SetValue(10)
	if same(before, tilePixels(h, 0)) {
		t.Error("the window did not re-blend the tiles while the method runs")
	}
	test.Tap(h.cancel)
	if h.s.Busy() || !h.cancel.Hidden || h.status.Text != "Cancelled." {
		t.Errorf("after cancel: busy %v, status %q", h.s.Busy(), h.status.Text)
	}
	if h.c.method.Selected != "CAM" || h.s.Results()[0].Request.Method != explain.CAM || h.c.methodHelp.Text != session.MethodHelp(explain.CAM) {
		t.Errorf("after cancel the menu shows %q (%q) over tiles of %s", h.c.method.Selected, h.c.methodHelp.Text, h.s.Results()[0].Request.Method)
	}

	h.c.method.SetSelected("Grad-CAM++")
	wait()
	h.c.method.SetSelected("LayerCAM")
	if o := h.wait(t); o.Err != nil || o.Request.Method != explain.LayerCAM {
		t.Fatalf("shown %s (%v), want LayerCAM", o.Request.Method, o.Err)
	}
	h.s.Wait()
	h.drain()
	select {
	case o := <-h.shown:
		t.Errorf("a stale outcome was shown: %s", o.Request.Method)
	default:
	}
	if h.s.Results()[0].Request.Method != explain.LayerCAM || h.c.method.Selected != "LayerCAM" {
		t.Errorf("tiles of %s, menu %q", h.s.Results()[0].Request.Method, h.c.method.Selected)
	}

	// In the compare-methods view the status counts the rows.
	h.SetCompareMethods([]explain.Method{explain.GradCAM, explain.GradCAMPlusPlus, explain.LayerCAM})
	wait()
	if h.status.Text != "Explaining 2 of 3: Grad-CAM++…" {
		t.Errorf("progress %q", h.status.Text)
	}
	test.Tap(h.cancel)
	if h.s.CompareMethods() != nil || h.c.oneMethod.Visible() || len(h.s.Results()) != 1 {
		t.Errorf("after cancel: rows %v, %d results", h.s.CompareMethods(), len(h.s.Results()))
	}
}

// The compare-methods view shows one row per method under its name, the
// agreeing ones saying so; the method menu waits, and Back to one method
// returns to the normal view.
func TestCompareMethodsView(t *testing.T) {
	h := builtinHarness(t, nil)
	h.SetCompareMethods(h.s.DefaultCompareMethods())
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	rows := rowLabels(h.App)
	want := []string{"CAM — same map as Grad-CAM on this head", "Grad-CAM — same map as CAM on this head", "Grad-CAM++", "LayerCAM", "Eigen-CAM"}
	if !slices.Equal(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
	if len(h.tiles) != 5*len(want) || !h.c.method.Disabled() || h.c.oneMethod.Hidden || h.c.agreeNote.Hidden {
		t.Errorf("%d tiles, menu disabled %v, back shown %v, note %q", len(h.tiles), h.c.method.Disabled(), h.c.oneMethod.Visible(), h.c.agreeNote.Text)
	}
	if titles := tileTitles(h.App); titles[5] != titles[0] || !strings.HasPrefix(titles[5], "1. ") {
		t.Errorf("the second row's first tile is %q, the first's %q: want the same class and rank", titles[5], titles[0])
	}
	runs := h.runs.Load()
	h.c.opacity.SetValue(80)
	h.c.colormap.SetSelected("viridis")
	if h.runs.Load() != runs {
		t.Error("a look control ran the model")
	}
	dir := t.TempDir()
	h.until(t, h.ExportAll(dir))
	for _, m := range h.s.CompareMethods() {
		data, err := os.ReadFile(filepath.Join(dir, string(m), "report.json"))
		if err != nil || !strings.Contains(string(data), `"method": "`+string(m)+`"`) {
			t.Errorf("the export has no report of %s in its folder: %v", m, err)
		}
	}
	test.Tap(h.c.oneMethod)
	h.wait(t)
	if len(h.s.Results()) != 1 || h.c.method.Disabled() || h.c.oneMethod.Visible() {
		t.Errorf("back: %d results, menu disabled %v", len(h.s.Results()), h.c.method.Disabled())
	}
}

// rowLabels are the labels above the rows of tiles.
func rowLabels(a *App) []string {
	var out []string
	for _, o := range test.LaidOutObjects(a.grid) {
		if l, ok := o.(*widget.Label); ok && l.TextStyle.Bold && l.Importance == widget.HighImportance {
			out = append(out, l.Text)
		}
	}
	return out
}

func TestGoldenCompareMethods(t *testing.T) {
	for _, tc := range []struct {
		name string
		size fyne.Size
	}{
		{"compare_methods_1024x768.png", fyne.NewSize(1024, 768)},
		{"compare_methods_1400x900.png", fyne.NewSize(1400, 900)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := builtinHarness(t, nil)
			h.Window.Resize(tc.size)
			h.SetCompareMethods(h.s.DefaultCompareMethods())
			if o := h.wait(t); o.Err != nil {
				t.Fatal(o.Err)
			}
			h.runUntil(t, "the rows' scores", func() bool { return measuredRows(h) == 5 })
			h.status.SetText("sample · shapes (built-in) · 5 methods") // without the timing
			test.AssertImageMatches(t, tc.name, h.Window.Canvas().Capture())
		})
	}
}

// --compare-methods (Options.CompareMethods) opens the window in the
// compare-methods view with its default rows.
func TestStartInCompareMethods(t *testing.T) {
	f := session.DefaultFuncs()
	f.Explain = sessiontest.FixedExplain
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f, CompareMethods: true})
	h.Start()
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	if rows := rowLabels(h.App); len(rows) != 5 || !strings.HasPrefix(rows[0], "CAM") || rows[4] != "Eigen-CAM" {
		t.Errorf("rows %q", rows)
	}
}

// TestProgressText: the status says which row runs and, for a method
// that runs a forward pass per channel, how many passes are done.
func TestProgressText(t *testing.T) {
	for _, c := range []struct {
		p    session.Progress
		want string
	}{
		{session.Progress{}, "Explaining…"},
		{session.Progress{Row: 1, Rows: 1, Name: "Score-CAM", Done: 128, Total: 512}, "Explaining: 128 of 512 forward passes (25%)…"},
		{session.Progress{Row: 2, Rows: 3, Name: "Grad-CAM++"}, "Explaining 2 of 3: Grad-CAM++…"},
		{session.Progress{Row: 3, Rows: 3, Name: "Score-CAM", Done: 10, Total: 100}, "Explaining 3 of 3: Score-CAM, 10 of 100 forward passes (10%)…"},
	} {
		if got := progressText(c.p); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}
