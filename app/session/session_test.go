package session

import (
	"context"
	"image"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/render"
	"camscope/inference/cam"
	"camscope/inference/tensor"
)

// camModel is a fake model with a global-average-pooling head, so that
// CAM applies to it.
func camModel(name string) *explain.Model {
	head := &cam.Head{NumClasses: 10, Feature: "f", Weights: tensor.FromFloat32([]int{10, 1}, make([]float32, 10))}
	return &explain.Model{Name: name, Explainer: &cam.Explainer{Head: head, Layer: "f"}}
}

// sessionHarness is a session over fake steps whose explain returns at
// once with one map per class; it counts runs and records their requests.
type sessionHarness struct {
	*Session
	out  chan Outcome
	mu   sync.Mutex
	reqs []explain.Request
}

func newSession(t *testing.T) *sessionHarness {
	t.Helper()
	h := &sessionHarness{out: make(chan Outcome, 16)}
	f := newFake().funcs()
	f.Explain = func(_ context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
		h.mu.Lock()
		h.reqs = append(h.reqs, req)
		h.mu.Unlock()
		r := result(img.Rect.Dx(), img.Rect.Dy(), []float32{0, 1, 2, 3}, []float32{0, 0, 0, 30})
		r.Model, r.Request = m, req
		return r, nil
	}
	h.Session = New(f, display.DefaultView(), func(o Outcome) {
		if !o.Partial {
			h.out <- o
		}
	})
	t.Cleanup(h.Close)
	return h
}

// apply waits for the next outcome and applies it, as the GUI does.
func (h *sessionHarness) apply(t *testing.T) Outcome {
	t.Helper()
	c := &collector{ch: h.out}
	o := c.next(t)
	if !h.Apply(o) {
		t.Fatalf("the latest outcome (gen %d) was not applied", o.Gen)
	}
	return o
}

func (h *sessionHarness) runs() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reqs)
}

// A model without CAM in the comparison makes every row Grad-CAM in one
// run; the choice is refused while it is there, with the reason.
func TestSessionCAMDoesNotApply(t *testing.T) {
	h := newSession(t)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a"), model("b")}})
	h.apply(t)
	if h.runs() != 2 {
		t.Fatalf("%d explain calls, want 2 (one run of two rows)", h.runs())
	}
	for i, r := range h.reqs {
		if r.Method != cam.GradCAM {
			t.Errorf("row %d explained with %s, want Grad-CAM", i+1, r.Method)
		}
	}
	if h.Request().Method != cam.GradCAM {
		t.Errorf("the session asks for %s, want Grad-CAM", h.Request().Method)
	}
	ok, reason := CAMApplies(h.Models(), "")
	if ok || !strings.Contains(reason, "CAM is off for b") {
		t.Errorf("CAM applies %v, reason %q", ok, reason)
	}
	h.SetMethod(cam.CAM)
	if h.Request().Method != cam.GradCAM || h.Busy() {
		t.Errorf("CAM taken (%s) or a run started for a model without it", h.Request().Method)
	}
}

func TestSessionCAMApplies(t *testing.T) {
	h := newSession(t)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}})
	h.apply(t)
	if ok, reason := CAMApplies(h.Models(), ""); !ok || reason != "" || h.Request().Method != cam.CAM {
		t.Errorf("CAM applies %v (%q), method %s", ok, reason, h.Request().Method)
	}
}

// Only the latest run's outcome is applied; an older one changes nothing.
func TestSessionStaleOutcomeNotApplied(t *testing.T) {
	h := newSession(t)
	h.Submit(Job{PhotoPath: "first.png", Models: []*explain.Model{camModel("a")}})
	h.apply(t)
	first := h.Photo()
	h.OpenPhoto("second.png")
	if !h.Busy() {
		t.Error("not busy while a run is in flight")
	}
	if h.Apply(Outcome{Gen: 1, Err: context.Canceled}) {
		t.Error("an outcome of an older run was applied")
	}
	if h.Photo() != first || !h.Busy() {
		t.Error("a stale outcome changed the state")
	}
	h.apply(t)
	if h.Photo().Name != "second.png" || h.Busy() {
		t.Errorf("photo %s, busy %v after the new run", h.Photo().Name, h.Busy())
	}
}

// A new request cancels the run in flight.
func TestSessionNewRequestCancels(t *testing.T) {
	f, out := newFake(), make(chan Outcome, 4)
	s := New(f.funcs(), display.DefaultView(), func(o Outcome) { out <- o })
	defer s.Close()
	s.Submit(Job{PhotoPath: "old.png", Models: []*explain.Model{camModel("old")}})
	<-f.started
	s.Submit(Job{PhotoPath: "new.png", Models: []*explain.Model{camModel("new")}})
	if got := <-f.started; got != "new" {
		t.Fatalf("started %s", got)
	}
	f.release <- struct{}{}
	o := (&collector{ch: out}).next(t)
	if !s.Apply(o) || s.Photo().Name != "new.png" {
		t.Fatalf("applied %v, photo %v", o.Gen, s.Photo())
	}
}

// View changes re-render the scene's tiles and never run the model; a
// change of scale prepares the scene again.
func TestSessionViewChangesDoNotRun(t *testing.T) {
	h := newSession(t)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}})
	h.apply(t)
	runs := h.runs()
	tile := h.Scene().Tiles()[0]
	before := string(tile.Image.Pix)
	h.SetOpacity(2)
	if h.View().Opacity != 1 || string(tile.Image.Pix) == before {
		t.Errorf("opacity %v; tile re-rendered: %v", h.View().Opacity, string(tile.Image.Pix) != before)
	}
	before = string(tile.Image.Pix)
	h.SetColormap(render.Gray)
	if string(tile.Image.Pix) == before {
		t.Error("colormap change did not re-colour the tile")
	}
	for name, set := range map[string]func(){"box": func() { h.SetBox(true) }, "contour": func() { h.SetContour(true) }, "threshold": func() { h.SetThreshold(0.6) }} {
		set()
		if !h.Scene().Fits(h.View()) || h.Scene().View != h.View() {
			t.Errorf("%s: the scene was not rendered for the view", name)
		}
	}
	h.SetScale(display.PerResult)
	if !h.Scene().Fits(h.View()) {
		t.Error("shared scale did not prepare the scene again")
	}
	if got := h.Scene().Tiles()[0].Scaled.Data[3]; got < 0.0999 || got > 0.1001 {
		t.Errorf("shared scale: 3 of 30 scales to %v, want 0.1", got)
	}
	if h.runs() != runs || h.Busy() {
		t.Error("a view change ran the model")
	}
}

func TestSessionTopKAndClasses(t *testing.T) {
	h := newSession(t)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}})
	h.apply(t)
	if k := h.SetTopK(99); k != explain.MaxTopK || !h.Busy() {
		t.Errorf("top-k %d, busy %v", k, h.Busy())
	}
	h.apply(t)
	note, added, _ := h.AddClass("7")
	if !added || !strings.HasPrefix(note, "Added class 7") {
		t.Errorf("note %q, added %v", note, added)
	}
	h.apply(t)
	if note, added, _ := h.AddClass("7"); added || !strings.Contains(note, "already shown") {
		t.Errorf("note %q, added %v", note, added)
	}
	h.OpenModel("x.onnx")
	if len(h.Request().Classes) != 0 {
		t.Error("searched classes kept for another model")
	}
}

// vgg_small has no global-average-pooling head: opening it makes the
// session ask for Grad-CAM, say why, leave CAM out of the menu, and show
// its tiles.
func TestCAMDoesNotApplyToVGG(t *testing.T) {
	const vgg, photoFile = "../../../shared/reference/vgg_small.onnx", "../../../shared/images/cat.png"
	for _, p := range []string{vgg, photoFile} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("the reference data should be in ../shared next to the repository (CI has it): %v", err)
		}
	}
	out := make(chan Outcome, 4)
	s := New(DefaultFuncs(), display.DefaultView(), func(o Outcome) { out <- o })
	defer s.Close()
	s.Start(photoFile, []string{vgg})
	o := (&collector{ch: out}).next(t)
	if !s.Apply(o) || o.Err != nil {
		t.Fatalf("vgg_small does not explain the photo: %v", o.Err)
	}
	if ok, _ := s.Models()[0].Explainer.SupportsCAM(); ok {
		t.Fatal("vgg_small has a CAM head: this test needs a model without one")
	}
	ok, reason := CAMApplies(s.Models(), "")
	if ok || !strings.Contains(reason, "CAM is off for vgg_small") {
		t.Errorf("CAM applies %v, reason %q", ok, reason)
	}
	all := MethodNames()
	if names := MethodNamesFor(s.Models(), ""); !slices.Equal(names, all[1:len(all)-1]) {
		t.Errorf("the menu offers %q, want every method but CAM and attention rollout (a CNN's)", names)
	}
	if s.Request().Method != cam.GradCAM || s.Results()[0].Request.Method != cam.GradCAM || s.Scene() == nil || len(s.Scene().Tiles()) == 0 {
		t.Errorf("method %s, result method %s, scene %v", s.Request().Method, s.Results()[0].Request.Method, s.Scene())
	}
}

// TestMethodNames checks that the window offers every method cam has, in
// the menu's order, each under its usual name, distinct, leading back to it
// (also through cam.ParseMethod, so the command line takes it), with a line
// of help.
func TestMethodNames(t *testing.T) {
	names := MethodNames()
	want := []string{"CAM", "Grad-CAM", "Grad-CAM++", "XGrad-CAM", "HiResCAM", "LayerCAM", "Eigen-CAM", "EigenGrad-CAM", "Score-CAM", "Ablation-CAM", "Occlusion", "Attention rollout"}
	if !slices.Equal(names, want) {
		t.Fatalf("the window names the methods %q, want %q", names, want)
	}
	if len(names) != len(cam.Methods()) {
		t.Fatalf("the window names %d methods, cam has %d", len(names), len(cam.Methods()))
	}
	seen := map[string]bool{}
	for i, name := range names {
		if seen[name] {
			t.Errorf("two methods are called %q", name)
		}
		seen[name] = true
		m, ok := MethodNamed(name)
		if !ok || m != cam.Methods()[i] {
			t.Errorf("MethodNamed(%q) = %q, %v; want %q", name, m, ok, cam.Methods()[i])
		}
		if p, err := cam.ParseMethod(name); err != nil || p != m {
			t.Errorf("cam.ParseMethod(%q) = %q, %v; want %q", name, p, err, m)
		}
		if h := MethodHelp(m); h == "" || strings.Contains(h, "\n") {
			t.Errorf("MethodHelp(%s) = %q, want one line", m, h)
		}
	}
	if h := MethodHelp(explain.EigenCAM); !strings.Contains(h, "same map for every class") {
		t.Errorf("MethodHelp(Eigen-CAM) = %q: it must say the map is the same for every class", h)
	}
	if _, ok := MethodNamed("LIME"); ok {
		t.Error("MethodNamed accepts a method cam does not have")
	}
}

// TestPhotoDefaultModel: the sample scene starts with the shapes model; a
// photo the user opens with no model chosen gets the photo default (the
// built-in ImageNet classifier), also when the shapes model was only the
// sample scene's default; a model the user opened stays.
func TestPhotoDefaultModel(t *testing.T) {
	h := newSession(t)
	h.runner.funcs.DefaultModel = func() (*explain.Model, error) { return camModel("shapes"), nil }
	h.runner.funcs.PhotoModel = func() (*explain.Model, error) { return camModel("imagenet"), nil }
	h.runner.funcs.LoadModel = func(_ context.Context, path string) (*explain.Model, error) { return camModel(path), nil }
	names := func() string {
		var out []string
		for _, m := range h.Models() {
			out = append(out, m.Name)
		}
		return strings.Join(out, ",")
	}
	h.Start("", nil)
	h.apply(t)
	if names() != "shapes" {
		t.Fatalf("the sample scene starts with %q, want the shapes model", names())
	}
	h.OpenPhoto("dog.png")
	h.apply(t)
	if names() != "imagenet" {
		t.Errorf("a photo opened after the sample scene is explained by %q, want the ImageNet default", names())
	}
	h.OpenModel("mine.onnx")
	h.apply(t)
	h.OpenPhoto("cat.png")
	h.apply(t)
	if names() != "mine.onnx" {
		t.Errorf("after opening a model, a photo is explained by %q, want the model opened", names())
	}
	h2 := newSession(t)
	h2.runner.funcs.DefaultModel = h.runner.funcs.DefaultModel
	h2.runner.funcs.PhotoModel = h.runner.funcs.PhotoModel
	h2.Start("dog.png", nil)
	h2.apply(t)
	if m := h2.Models(); len(m) != 1 || m[0].Name != "imagenet" {
		t.Errorf("starting on a photo with no model: %v, want the ImageNet default", m)
	}
}

// TestSessionScaleChoices: one row offers per tile or shared; several
// models offer per tile, per model and one raw scale, each saying what it
// means, and one raw scale over one row is the shared scale.
func TestSessionScaleChoices(t *testing.T) {
	h := newSession(t)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}})
	h.apply(t)
	names := func() (out []string) {
		for _, c := range h.ScaleChoices() {
			if c.Help == "" {
				t.Errorf("%s: no help", c.Name)
			}
			out = append(out, c.Name)
		}
		return out
	}
	if got := strings.Join(names(), ", "); got != "Per tile, Shared" {
		t.Errorf("one model: %s", got)
	}
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a"), camModel("b")}})
	h.apply(t)
	if got := strings.Join(names(), ", "); got != "Per tile, Per model, One raw scale" {
		t.Errorf("two models: %s", got)
	}
	if raw := h.ScaleChoices()[2]; raw.Scale != display.OneScale || !strings.Contains(raw.Help, "not comparable") {
		t.Errorf("one raw scale: %+v", raw)
	}
	h.SetScale(display.OneScale)
	if c := h.CurrentScale(); c.Name != "One raw scale" || !h.Scene().Fits(h.View()) {
		t.Errorf("chose %q", c.Name)
	}
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}})
	h.apply(t)
	if c := h.CurrentScale(); c.Name != "Shared" {
		t.Errorf("one raw scale over one model shows as %q", c.Name)
	}
}

// labelled is a fake model of n classes with labels.
func labelled(name string, labels ...string) *explain.Model {
	m := model(name)
	m.Explainer.Head.NumClasses = len(labels)
	m.Labels = labels
	return m
}

// TestSessionSameClassesAcrossClassLists: the same classes between a
// 1001-class model (background first) and a 1000-class one match by label,
// with a note; models without labels keep their own classes, with a note
// saying why.
func TestSessionSameClassesAcrossClassLists(t *testing.T) {
	h := &sessionHarness{out: make(chan Outcome, 16)}
	f := newFake().funcs()
	f.Explain = func(_ context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
		h.mu.Lock()
		h.reqs = append(h.reqs, req)
		h.mu.Unlock()
		r := result(img.Rect.Dx(), img.Rect.Dy(), []float32{0, 1, 2, 3}, []float32{0, 0, 0, 30})
		r.Model, r.Request = m, req
		classes := req.Classes
		if req.TopK > 0 {
			classes = []int{2, 3}
		}
		for i := range r.Classes {
			r.Classes[i].Index = classes[i%len(classes)]
		}
		return r, nil
	}
	h.Session = New(f, display.DefaultView(), func(o Outcome) {
		if !o.Partial {
			h.out <- o
		}
	})
	t.Cleanup(h.Close)
	with := labelled("v2", "background", "tench, Tinca tinca", "goldfish", "tabby, tabby cat")
	without := labelled("v1", "tench", "Goldfish", "tabby")
	h.SetSameClasses(true)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{with, without}})
	h.apply(t)
	if got := h.reqs[1].Classes; !slices.Equal(got, []int{1, 2}) || h.reqs[1].TopK != 0 {
		t.Errorf("second row asked for classes %v (top %d), want goldfish and tabby: [1 2]", got, h.reqs[1].TopK)
	}
	if note := h.ClassesNote(); !strings.Contains(note, "4 classes and v1 3") || !strings.Contains(note, "by label") {
		t.Errorf("note %q", note)
	}
	without.Labels = nil
	h.reqs = nil
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{with, without}})
	h.apply(t)
	if r := h.reqs[1]; len(r.Classes) != 0 || r.TopK != h.Request().TopK {
		t.Errorf("second row without labels asked for %v (top %d), want its own top %d", r.Classes, r.TopK, h.Request().TopK)
	}
	if note := h.ClassesNote(); !strings.Contains(note, "cannot be matched") {
		t.Errorf("note %q", note)
	}
}

// TestSessionSearchedClasses: an ambiguous search lists its matches and
// adds nothing; a pick, an exact label or a unique fragment adds; a class
// can be removed; a new photo starts without them unless asked.
func TestSessionSearchedClasses(t *testing.T) {
	h := newSession(t)
	m := labelled("m", "golden retriever", "Labrador retriever", "tabby, tabby cat", "flat-coated retriever", "retriever")
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{m}})
	h.apply(t)
	m.Labels[4] = "tiger cat"
	note, added, picks := h.AddClass("retriever")
	if added || !slices.Equal(picks, []int{0, 1, 3}) || !strings.Contains(note, "3 classes match") {
		t.Errorf("ambiguous search: note %q, added %v, picks %v", note, added, picks)
	}
	if _, added := h.AddClassIndex(1); !added {
		t.Error("the pick was not added")
	}
	h.apply(t)
	if _, added, _ := h.AddClass("Tabby"); !added {
		t.Error("tabby (one label) was not added")
	}
	h.apply(t)
	m.Labels[4] = "golden"
	if _, added, picks := h.AddClass("golden"); !added || picks != nil {
		t.Errorf("an exact label among several matches: added %v, picks %v", added, picks)
	}
	h.apply(t)
	h.RemoveClass(1)
	h.apply(t)
	if got := h.SearchedClasses(); !slices.Equal(got, []int{2, 4}) {
		t.Errorf("after removing 1: %v", got)
	}
	h.OpenPhoto("q.png")
	h.apply(t)
	if got := h.SearchedClasses(); len(got) != 0 {
		t.Errorf("classes kept for a new photo: %v", got)
	}
	h.AddClassIndex(2)
	h.apply(t)
	h.SetKeepClasses(true)
	h.OpenPhoto("r.png")
	h.apply(t)
	if got := h.SearchedClasses(); !slices.Equal(got, []int{2}) {
		t.Errorf("asked to keep them: %v", got)
	}
}

// TestCAMOffNoteSaysItOnce: the reason CAM is off names the missing head
// once (the head's own reason already says what is missing).
func TestCAMOffNoteSaysItOnce(t *testing.T) {
	m := model("vgg")
	m.Explainer.Head.NoCAM = "no global-average-pooling linear head (the last MatMul reads a Flatten); use Grad-CAM"
	for _, m := range []*explain.Model{m, model("bare")} {
		ok, why := CAMApplies([]*explain.Model{m}, "")
		if ok || strings.Count(why, "global-average-pooling linear head") != 1 {
			t.Errorf("%s: %v, %q", m.Name, ok, why)
		}
	}
}

// TestSessionAddModelTwiceRefused: a model already compared is refused
// with a sentence, and nothing runs.
func TestSessionAddModelTwiceRefused(t *testing.T) {
	h := newSession(t)
	m := camModel("a")
	m.Path = "a.onnx"
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{m}})
	h.apply(t)
	runs := h.runs()
	err := h.AddModel("a.onnx")
	if err == nil || !strings.HasPrefix(err.Error(), "Row 1 already shows a") || h.Busy() || h.runs() != runs {
		t.Errorf("adding a twice: %v, busy %v", err, h.Busy())
	}
}

// TestBadPhotoKeepsGoodModel: starting with a photo that does not open and
// a model that does keeps the model (issue 17: a bad --image also dropped
// a good --model), with the photo's error.
func TestBadPhotoKeepsGoodModel(t *testing.T) {
	h := newSession(t)
	h.runner.funcs.LoadModel = func(_ context.Context, path string) (*explain.Model, error) { return camModel(path), nil }
	h.Start("bad.png", []string{"good.onnx"})
	c := &collector{ch: h.out}
	o := c.next(t)
	if o.Err == nil || !strings.Contains(o.Err.Error(), "bad.png") {
		t.Fatalf("error %v, want the photo's", o.Err)
	}
	h.Apply(o)
	if m := h.Models(); len(m) != 1 || m[0].Name != "good.onnx" {
		t.Errorf("models %v, want good.onnx kept", m)
	}
	if h.Photo() != nil {
		t.Errorf("photo %v, want none", h.Photo())
	}
}
