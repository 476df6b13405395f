package session

import (
	"context"
	"image"
	"math"
	"slices"
	"strings"
	"testing"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/inference/cam"
)

// builtin is the built-in shapes model, which needs no file.
func builtin(t *testing.T) *explain.Model {
	t.Helper()
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The layer picker lists the built-in model's layers from the first to the
// discovered one (marked, and named "" so that the default is the
// discovered layer); choosing another explains there with Grad-CAM (CAM
// applies only at the discovered layer: left out of the menu, with the
// reason), and choosing the default again offers CAM again.
func TestSessionLayer(t *testing.T) {
	h := newSession(t)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{builtin(t)}})
	h.apply(t)
	layers := h.Layers()
	if len(layers) < 3 {
		t.Fatalf("layers %v, want the built-in model's convolutions", layers)
	}
	last := layers[len(layers)-1]
	if last.Name != "" || !strings.HasSuffix(last.Label, "(default)") || !strings.Contains(last.Label, "16×16") {
		t.Errorf("the last layer is %+v, want the discovered one, marked, 16×16", last)
	}
	first := layers[0]
	if first.Name == "" || strings.Contains(first.Label, "default") || first.W <= last.W {
		t.Errorf("the first layer is %+v, want a finer grid than the default's", first)
	}
	if c, ok := h.Layer(); !ok || c != last {
		t.Errorf("the chosen layer is %+v, want the default", c)
	}
	if h.Request().Method != cam.CAM {
		t.Fatalf("method %s, want CAM on the built-in model", h.Request().Method)
	}

	h.SetLayer(first.Name)
	o := h.apply(t)
	if req := h.reqs[len(h.reqs)-1]; req.Layer != first.Name || req.Method != cam.GradCAM {
		t.Errorf("explained at %q with %s, want %q with Grad-CAM", req.Layer, req.Method, first.Name)
	}
	if o.Request.Layer != first.Name || h.Request().Method != cam.GradCAM {
		t.Errorf("outcome at %q, session method %s", o.Request.Layer, h.Request().Method)
	}
	if c, ok := h.Layer(); !ok || c != first {
		t.Errorf("the chosen layer is %+v, want %+v", c, first)
	}
	ok, reason := CAMApplies(h.Models(), h.Request().Layer)
	if ok || !strings.Contains(reason, "CAM needs the layer that feeds the pooling") {
		t.Errorf("CAM applies off the default layer: %v, %q", ok, reason)
	}
	if names := MethodNamesFor(h.Models(), h.Request().Layer); slices.Contains(names, "CAM") || len(names) != len(cam.Methods())-2 {
		t.Errorf("the menu offers %q off the default layer", names)
	}
	if h.MethodNote() != "" {
		t.Errorf("an agreement note off the default layer: %q", h.MethodNote())
	}
	h.SetMethod(cam.CAM)
	if h.Busy() || h.Request().Method != cam.GradCAM {
		t.Error("CAM taken off the default layer")
	}

	h.SetLayer("")
	h.apply(t)
	if names := MethodNamesFor(h.Models(), h.Request().Layer); !slices.Contains(names, "CAM") {
		t.Errorf("CAM not offered back at the default layer: %q", names)
	}
	if req := h.reqs[len(h.reqs)-1]; req.Layer != "" {
		t.Errorf("explained at %q, want the default layer", req.Layer)
	}
}

// With several models the layer is not chosen: the picker is empty with a
// note, SetLayer changes nothing, and a layer asked for is not applied.
func TestSessionLayerOneModelOnly(t *testing.T) {
	h := newSession(t)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{builtin(t), builtin(t)}, Request: explain.Request{Method: cam.CAM, TopK: 2, Layer: "relu1"}})
	o := h.apply(t)
	if o.Request.Layer != "" || o.Request.Method != cam.CAM {
		t.Errorf("two models explained at %q with %s, want the default layers and CAM", o.Request.Layer, o.Request.Method)
	}
	if h.Layers() != nil || h.LayerNote() == "" {
		t.Errorf("layers %v, note %q with two models", h.Layers(), h.LayerNote())
	}
	runs := h.runs()
	h.SetLayer("relu1")
	if h.Busy() || h.runs() != runs || h.Request().Layer != "" {
		t.Error("a layer was chosen with two models")
	}
}

// The compare-methods view explains the first model once per method, the
// first row's classes in every row, and leaves CAM out where it does not
// apply; its rows are labelled with the methods, and those that must agree
// say so.
func TestSessionCompareMethods(t *testing.T) {
	h := newSession(t)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}})
	h.apply(t)
	want := []explain.Method{cam.CAM, cam.GradCAM, cam.GradCAMPlusPlus, cam.LayerCAM, cam.EigenCAM}
	if got := h.DefaultCompareMethods(); !slices.Equal(got, want) {
		t.Fatalf("default rows %v, want %v", got, want)
	}
	before := h.runs()
	h.SetCompareMethods([]explain.Method{cam.EigenCAM, cam.GradCAM, cam.CAM})
	h.apply(t)
	reqs := h.reqs[before:]
	if len(reqs) != 3 || len(h.Results()) != 3 {
		t.Fatalf("%d runs, %d results; want one per method", len(reqs), len(h.Results()))
	}
	for i, m := range []explain.Method{cam.CAM, cam.GradCAM, cam.EigenCAM} {
		if reqs[i].Method != m || h.Results()[i].Request.Method != m {
			t.Errorf("row %d explained with %s, want %s (menu order)", i+1, reqs[i].Method, m)
		}
		if i > 0 && (reqs[i].TopK != 0 || len(reqs[i].Classes) == 0) {
			t.Errorf("row %d asks top %d, classes %v; want the first row's classes", i+1, reqs[i].TopK, reqs[i].Classes)
		}
	}
	labels := h.RowLabels()
	if len(labels) != 3 || labels[0] != "CAM — same map as Grad-CAM on this head" || labels[1] != "Grad-CAM — same map as CAM on this head" || labels[2] != "Eigen-CAM" {
		t.Errorf("row labels %q", labels)
	}
	if h.Request().Method != cam.CAM {
		t.Errorf("the menu's method became %s", h.Request().Method)
	}
	runs := h.runs()
	h.SetMethod(cam.LayerCAM)
	if h.Busy() || h.runs() != runs {
		t.Error("the method menu ran the compare-methods view again")
	}
	h.SetCompareMethods(nil)
	h.apply(t)
	if len(h.Results()) != 1 || h.RowLabels() != nil || h.Results()[0].Request.Method != cam.LayerCAM {
		t.Errorf("back to the normal view: %d results, labels %q", len(h.Results()), h.RowLabels())
	}

	// Without a CAM head, CAM is no row and nothing must agree.
	h.Submit(Job{Photo: h.Photo(), Models: []*explain.Model{model("b")}})
	h.apply(t)
	if got := h.DefaultCompareMethods(); slices.Contains(got, cam.CAM) {
		t.Errorf("default rows %v offer CAM without a CAM head", got)
	}
	h.SetCompareMethods([]explain.Method{cam.CAM, cam.GradCAM, cam.HiResCAM})
	h.apply(t)
	if labels := h.RowLabels(); !slices.Equal(labels, []string{"Grad-CAM", "HiResCAM"}) {
		t.Errorf("row labels %q without a CAM head", labels)
	}
}

// A job of several rows reports each row before it starts; the session
// keeps the latest run's report and drops a stale one.
func TestRunnerProgress(t *testing.T) {
	c := newCollector()
	f := newFake()
	close(f.release)
	r := NewRunner(f.funcs(), c.deliver)
	r.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}, Methods: []explain.Method{cam.GradCAM, cam.LayerCAM}, Request: explain.Request{TopK: 1}})
	c.next(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	want := []Progress{{Row: 1, Rows: 2, Name: "Grad-CAM"}, {Row: 2, Rows: 2, Name: "LayerCAM"}}
	if !slices.Equal(c.progress, want) {
		t.Errorf("progress %v, want %v", c.progress, want)
	}

	s := newSession(t)
	s.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}})
	o := s.apply(t)
	s.rerun()
	if s.Apply(Outcome{Gen: o.Gen, Partial: true, Progress: want[0]}) || s.Progress() != (Progress{}) {
		t.Error("a stale run's progress was taken")
	}
	s.Wait()
}

// Where Agreement says the methods agree, they do: on the built-in model
// (a global-average-pooling head) the maps of CAM, Grad-CAM, HiResCAM and
// XGrad-CAM are proportional, CAM's h·w times larger; and the note is
// shown under the menu for those methods only.
func TestAgreementHolds(t *testing.T) {
	m := builtin(t)
	agree, note := Agreement([]*explain.Model{m}, "")
	if !slices.Equal(agree, []explain.Method{cam.CAM, cam.GradCAM, cam.HiResCAM, cam.XGradCAM}) || note == "" {
		t.Fatalf("agreement %v, %q on the built-in model", agree, note)
	}
	img := SamplePhoto().Image
	var ref []float32
	for _, method := range agree {
		res, err := explain.Photo(context.Background(), m, img, explain.Request{Method: method, TopK: 1})
		if err != nil {
			t.Fatal(err)
		}
		got := res.Classes[0].Map
		scale := float32(1)
		if method == cam.CAM {
			scale = 1 / float32(got.W*got.H)
		}
		if ref == nil {
			ref = make([]float32, len(got.Data))
			for i, v := range got.Data {
				ref[i] = v * scale
			}
			continue
		}
		var worst, peak float64
		for i, v := range got.Data {
			worst = max(worst, math.Abs(float64(v*scale-ref[i])))
			peak = max(peak, math.Abs(float64(ref[i])))
		}
		if worst > 1e-4*peak {
			t.Errorf("%s differs from CAM/(h·w) by %g (peak %g)", method, worst, peak)
		}
	}
	if a, _ := Agreement([]*explain.Model{m}, "relu1"); a != nil {
		t.Errorf("agreement %v off the discovered layer", a)
	}
	s := New(DefaultFuncs(), display.DefaultView(), func(Outcome) {})
	s.models = []*explain.Model{m}
	for _, method := range cam.Methods() {
		s.req.Method = method
		if got := s.MethodNote() != ""; got != slices.Contains(agree, method) {
			t.Errorf("note under the menu for %s: %v", method, got)
		}
	}
}

// Cancelling a run leaves the tiles shown and takes the request back to
// what they were asked with, so that the controls match them.
func TestSessionCancelRestoresRequest(t *testing.T) {
	f := newFake()
	c := newCollector()
	s := New(f.funcs(), display.DefaultView(), c.deliver)
	defer s.Close()
	s.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{builtin(t)}})
	f.release <- struct{}{}
	if !s.Apply(c.next(t)) || len(s.Results()) != 1 {
		t.Fatal("the first run was not shown")
	}
	s.SetMethod(cam.GradCAMPlusPlus)
	<-f.started
	<-f.started // the first run's, then this one's
	s.Cancel()
	if s.Busy() || s.Request().Method != cam.CAM || s.Results()[0].Request.Method != cam.CAM {
		t.Errorf("after cancel: busy %v, method %s", s.Busy(), s.Request().Method)
	}
	s.SetCompareMethods([]explain.Method{cam.GradCAM, cam.LayerCAM})
	<-f.started
	s.Cancel()
	if s.CompareMethods() != nil || s.Request().Method != cam.CAM {
		t.Errorf("after cancel: rows %v, method %s; want the normal view as shown", s.CompareMethods(), s.Request().Method)
	}
	s.Wait()
	if n := c.count(); n != 1 {
		t.Errorf("%d outcomes delivered, want 1 (the cancelled runs' are dropped)", n)
	}
}

// TestRunnerPassProgress: a method that runs many forward passes reports
// them (Score-CAM in the window: "Explaining: 120 of 512 forward
// passes"), at most once per percent.
func TestRunnerPassProgress(t *testing.T) {
	c := &collector{ch: make(chan Outcome, 16)}
	f := newFake()
	fs := f.funcs()
	fs.Explain = func(_ context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
		for done := 1; done <= 1000; done++ {
			req.Progress(done, 1000)
		}
		return &explain.Result{Model: m, Photo: img, Request: req}, nil
	}
	r := NewRunner(fs, c.deliver)
	r.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}, Request: explain.Request{TopK: 1, Method: cam.ScoreCAM}})
	c.next(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.progress); n < 2 || n > 101 {
		t.Fatalf("%d progress reports for 1000 passes, want one per percent", n)
	}
	if last := c.progress[len(c.progress)-1]; last.Done != 1000 || last.Total != 1000 || last.Row != 1 || last.Rows != 1 {
		t.Errorf("last report %+v", last)
	}
}

// A vision transformer's layers are its token tensors on the patch grid,
// labelled as tokens; the default is the last block's first LayerNorm.
func TestLayerChoicesTokens(t *testing.T) {
	m, err := explain.LoadModel(context.Background(), "../../../shared/reference/vit_tiny.onnx", explain.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	layers := layerChoices(m)
	last := layers[len(layers)-1]
	if last.Label != "encoder_layer_3 ln_1 LayerNormalization · 14×14 tokens (default)" {
		t.Errorf("the default layer is %+v", last)
	}
	for _, l := range layers {
		if !strings.Contains(l.Label, "14×14 tokens") {
			t.Errorf("layer %+v, want tokens on the 14x14 grid", l)
		}
	}
}

// Attention rollout is offered for a ViT and not for a CNN, whose
// sentence says why; the compare-methods rows leave it out for the CNN,
// and the compare view starts with it for the ViT.
func TestRolloutOnlyForTransformers(t *testing.T) {
	vit, err := explain.LoadModel(context.Background(), "../../../shared/reference/vit_tiny.onnx", explain.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cnn, err := explain.LoadModel(context.Background(), "../../../shared/reference/resnet18.onnx", explain.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if names := MethodNamesFor([]*explain.Model{vit}, ""); !slices.Contains(names, "Attention rollout") || slices.Contains(names, "CAM") {
		t.Errorf("ViT's methods %q, want attention rollout and no CAM", names)
	}
	if names := MethodNamesFor([]*explain.Model{cnn}, ""); slices.Contains(names, "Attention rollout") || !slices.Contains(names, "CAM") {
		t.Errorf("the CNN's methods %q, want CAM and no attention rollout", names)
	}
	if why := MethodsOff([]*explain.Model{cnn}, ""); !strings.Contains(why, "Attention rollout is off for resnet18") || !strings.Contains(why, "class token") {
		t.Errorf("the CNN's note %q does not say why rollout is off", why)
	}
	if why := MethodsOff([]*explain.Model{vit}, ""); strings.Contains(why, "rollout") || !strings.Contains(why, "CAM is off") {
		t.Errorf("ViT's note %q, want CAM's sentence alone", why)
	}
	out := Outcome{Models: []*explain.Model{cnn}}
	rows := jobRows(out, []explain.Method{explain.GradCAM, explain.Rollout})
	if len(rows) != 1 || rows[0].req.Method != explain.GradCAM {
		t.Errorf("the CNN's compare rows %+v, want Grad-CAM's alone", rows)
	}
	if rows := jobRows(Outcome{Models: []*explain.Model{vit}}, []explain.Method{explain.GradCAM, explain.Rollout}); len(rows) != 2 {
		t.Errorf("ViT's compare rows %+v, want Grad-CAM's and rollout's", rows)
	}
	for _, c := range []struct {
		m    *explain.Model
		want bool
	}{{vit, true}, {cnn, false}} {
		s := &Session{models: []*explain.Model{c.m}}
		if got := slices.Contains(s.DefaultCompareMethods(), explain.Rollout); got != c.want {
			t.Errorf("%s: rollout among the compare view's first rows: %v", c.m.Name, got)
		}
	}
}

// Occlusion and attention rollout read no layer: the session says so (the
// picker has nothing to change for them), and again reads the layer for
// another method or a compare-methods row that does.
func TestSessionLayerNotRead(t *testing.T) {
	h := newSession(t)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{builtin(t)}})
	h.apply(t)
	if !h.LayerRead() || h.LayerNote() != "" {
		t.Fatalf("CAM: layer read %v, note %q", h.LayerRead(), h.LayerNote())
	}
	h.SetMethod(cam.Occlusion)
	h.apply(t)
	if h.LayerRead() || !strings.HasPrefix(h.LayerNote(), "Occlusion reads no layer") || h.NoLayerFact() != "No layer: the map is at the input's resolution" {
		t.Errorf("occlusion: layer read %v, note %q, fact %q", h.LayerRead(), h.LayerNote(), h.NoLayerFact())
	}
	if ReadsLayer(cam.Rollout) || !strings.Contains(NoLayerNote(cam.Rollout), "patch grid") {
		t.Errorf("attention rollout reads a layer: %q", NoLayerNote(cam.Rollout))
	}
	h.SetCompareMethods([]explain.Method{cam.Occlusion})
	h.apply(t)
	if h.LayerRead() || h.LayerNote() == "" || h.NoLayerFact() == "" {
		t.Errorf("occlusion's row alone: layer read %v, note %q", h.LayerRead(), h.LayerNote())
	}
	h.SetCompareMethods([]explain.Method{cam.Occlusion, cam.GradCAM})
	h.apply(t)
	if !h.LayerRead() || h.LayerNote() != "" {
		t.Errorf("with Grad-CAM's row: layer read %v, note %q", h.LayerRead(), h.LayerNote())
	}
	h.SetCompareMethods(nil)
	h.SetMethod(cam.GradCAM)
	h.apply(t)
	if !h.LayerRead() || h.LayerNote() != "" || h.NoLayerFact() != "" {
		t.Errorf("Grad-CAM: layer read %v, note %q", h.LayerRead(), h.LayerNote())
	}
}
